import { bool } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

/** A port without a value inherits its network's. */
export const portSecurity = {
  alias: 'port-security',
  name: 'Port Security',
  description: 'port_security_enabled turns anti-spoofing and security groups on or off per network and port.',
  updated: '2012-07-23T10:00:00-00:00',
  extends: {
    networks: { port_security_enabled: { type: bool, post: true, put: true, default: true, column: 'port_security_enabled' } },
    ports: { port_security_enabled: { type: bool, post: true, put: true, column: 'port_security_enabled' } },
  },
} as const satisfies ExtensionDecl;

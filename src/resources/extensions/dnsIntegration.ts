import type { ExtensionDecl } from '../types.js';

const dnsAssignmentEntry = {
  kind: 'object',
  fields: {
    ip_address: { type: { kind: 'ip' } },
    hostname: { type: { kind: 'string' } },
    fqdn: { type: { kind: 'string' } },
  },
} as const;

export const dnsIntegration = {
  alias: 'dns-integration',
  name: 'DNS Integration',
  description: 'DNS names for ports and a DNS domain for networks, used by the DHCP server for host names.',
  updated: '2015-08-15T18:00:00-00:00',
  extends: {
    networks: { dns_domain: { type: { kind: 'dns-name', fqdn: true }, post: true, put: true, default: '', column: 'dns_domain' } },
    ports: {
      dns_name: { type: { kind: 'dns-name' }, post: true, put: true, default: '', filter: true, column: 'dns_name' },
      dns_assignment: { type: { kind: 'list', of: dnsAssignmentEntry } },
    },
  },
} as const satisfies ExtensionDecl;

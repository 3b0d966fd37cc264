import type { ExtensionDecl } from '../types.js';

/** Behaviour only: ports' `mac_address` already accepts null on update (src/resources/port.ts). */
export const portMacAddressRegenerate = {
  alias: 'port-mac-address-regenerate',
  name: 'Neutron Port MAC address regenerate',
  description: "PUT with mac_address null gives an unbound port a new MAC from base_mac.",
  updated: '2018-05-03T10:00:00-00:00',
} as const satisfies ExtensionDecl;

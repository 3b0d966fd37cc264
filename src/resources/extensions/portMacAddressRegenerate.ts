import type { ExtensionDecl } from '../types.js';

/** Behaviour only: ports' `mac_address` already accepts null on update (src/resources/port.ts). */
export const portMacAddressRegenerate = {
  alias: 'port-mac-address-regenerate',
  name: 'Neutron Port MAC address regenerate',
  description: "PUT with mac_address null gives an unbound port a new MAC from base_mac.",
  updated: '2018-05-03T10:00:00-00:00',
} as const satisfies ExtensionDecl;

/**
 * Behaviour only (plugins/core/ports.ts): binding a direct-physical port to
 * a host gives it `binding:profile` `device_mac_address` as its MAC (a fresh
 * one when the profile has none), as ML2 commits a binding.
 */
export const portMacOverride = {
  alias: 'port-mac-override',
  name: 'Neutron Port MAC address override',
  description: 'Allow overriding the MAC address of a direct-physical Port via the active binding profile',
  updated: '2022-03-18T10:00:00-00:00',
} as const satisfies ExtensionDecl;

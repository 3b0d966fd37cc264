import type { ExtensionDecl } from '../types.js';

/**
 * Subnets' `service_types` (neutron-lib subnet_service_types.py): the
 * device owner prefixes (`network:`, `neutron:`, `compute:` ...) a subnet
 * gives addresses to; a port takes its address from a subnet of its
 * owner's type, else from one without types. Items are checked by the
 * plugin, for Neutron's own messages (InvalidSubnetServiceType,
 * InvalidInputSubnetServiceType). The map has no enforce_policy, so the
 * admin-only `create_subnet:service_types` rules are never checked: any
 * caller who may create or update the subnet may set them, as upstream.
 */
export const subnetServiceTypes = {
  alias: 'subnet-service-types',
  name: 'Subnet service types',
  description: 'Provides ability to set the subnet service_types field',
  updated: '2016-03-15T18:00:00-00:00',
  extends: {
    subnets: { service_types: { type: { kind: 'list', of: { kind: 'any' } }, post: true, put: true, default: () => [], enforcePolicy: false } },
  },
} as const satisfies ExtensionDecl;

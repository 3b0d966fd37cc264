import type { ExtensionDecl } from '../types.js';

/**
 * neutron-lib port_device_profile: the Cyborg device profile of a port,
 * a string of up to 255 characters or null (type:string_or_none), given on
 * create only. Stored on the port's row; no policy rule of its own.
 */
export const portDeviceProfile = {
  alias: 'port-device-profile',
  name: 'Port device profile',
  description: 'Expose the port device profile (Cyborg)',
  updated: '2020-12-17T10:00:00-00:00',
  extends: {
    ports: {
      device_profile: { type: { kind: 'string', maxLength: 255 }, post: true, nullable: true, default: null, column: 'device_profile' },
    },
  },
} as const satisfies ExtensionDecl;

/**
 * neutron-lib port_numa_affinity_policy: how Nova places the port's
 * instance on NUMA nodes, one of required, preferred or legacy, or null
 * (type:values with None), settable on create and update. Stored on the
 * port's row; no policy rule of its own.
 */
export const portNumaAffinityPolicy = {
  alias: 'port-numa-affinity-policy',
  name: 'Port NUMA affinity policy',
  description: 'Expose the port NUMA affinity policy',
  updated: '2020-07-08T10:00:00-00:00',
  extends: {
    ports: {
      numa_affinity_policy: {
        type: { kind: 'enum', values: ['required', 'preferred', 'legacy'] },
        post: true,
        put: true,
        nullable: true,
        default: null,
        column: 'numa_affinity_policy',
      },
    },
  },
} as const satisfies ExtensionDecl;

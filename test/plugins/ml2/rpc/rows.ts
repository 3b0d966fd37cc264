/** Rows for the ports table and its network, written straight to the database by the tests of the agents' RPC pieces. */
import type { Insertable } from 'kysely';

import type { NetworksTable, PortsTable } from '../../../../src/db/schema.js';

const CREATED = '2026-12-06T21:00:00Z';

/** The i-th port id: distinct in its first 11 characters (its tap device's name). */
export const portId = (i: number) => `${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${i.toString(16).padStart(12, '0')}`;
export const macOf = (i: number) => `fa:16:3e:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

export function networkRow(id: string): Insertable<NetworksTable> {
  return {
    id,
    project_id: 'p',
    name: 'net',
    description: '',
    revision_number: 1,
    created_at: CREATED,
    updated_at: CREATED,
    admin_state_up: 1,
    status: 'ACTIVE',
    mtu: 1450,
    router_external: 0,
    port_security_enabled: 1,
    dns_domain: '',
    availability_zone_hints: '[]',
    is_default: 0,
  };
}

/** A VM's port bound to compute1, DOWN. */
export function portRow(id: string, networkId: string, mac: string): Insertable<PortsTable> {
  return {
    id,
    network_id: networkId,
    project_id: 'p',
    name: '',
    description: '',
    revision_number: 1,
    created_at: CREATED,
    updated_at: CREATED,
    mac_address: mac,
    admin_state_up: 1,
    status: 'DOWN',
    device_id: '',
    device_owner: 'compute:nova',
    port_security_enabled: 1,
    dns_name: '',
    binding_host_id: 'compute1',
    binding_vnic_type: 'normal',
    binding_profile: '{}',
    binding_vif_type: 'bridge',
    binding_vif_details: '{}',
    ip_allocation: 'immediate',
    device_profile: null,
    numa_affinity_policy: null,
  };
}

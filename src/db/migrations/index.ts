/**
 * Every migration, listed explicitly (not read from the filesystem), so the
 * list is the same from any working directory and inside a bundle. Names sort
 * in the order they run; add new ones at the end with the next number.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial_schema.js';
import * as m0002 from './0002_security_groups.js';
import * as m0003 from './0003_ml2_segments.js';
import * as m0004 from './0004_agents.js';
import * as m0005 from './0005_segment_names.js';
import * as m0006 from './0006_quotas.js';
import * as m0007 from './0007_address_scopes.js';
import * as m0008 from './0008_subnet_pools.js';
import * as m0009 from './0009_routers.js';
import * as m0010 from './0010_network_rbac.js';
import * as m0011 from './0011_address_scope_rbac.js';
import * as m0012 from './0012_subnet_pool_rbac.js';
import * as m0013 from './0013_floating_ips.js';
import * as m0014 from './0014_router_l3_agent_bindings.js';
import * as m0015 from './0015_router_attributes.js';
import * as m0016 from './0016_auto_allocated_topology.js';
import * as m0018 from './0018_security_group_rbac.js';
import * as m0019 from './0019_address_groups.js';
import * as m0020 from './0020_flavors.js';
import * as m0021 from './0021_port_device_profile_numa.js';
import * as m0022 from './0022_subnet_service_types.js';
import * as m0023 from './0023_inactive_port_bindings.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial_schema': m0001,
  '0002_security_groups': m0002,
  '0003_ml2_segments': m0003,
  '0004_agents': m0004,
  '0005_segment_names': m0005,
  '0006_quotas': m0006,
  '0007_address_scopes': m0007,
  '0008_subnet_pools': m0008,
  '0009_routers': m0009,
  '0010_network_rbac': m0010,
  '0011_address_scope_rbac': m0011,
  '0012_subnet_pool_rbac': m0012,
  '0013_floating_ips': m0013,
  '0014_router_l3_agent_bindings': m0014,
  '0015_router_attributes': m0015,
  '0016_auto_allocated_topology': m0016,
  '0018_security_group_rbac': m0018,
  '0019_address_groups': m0019,
  '0020_flavors': m0020,
  '0021_port_device_profile_numa': m0021,
  '0022_subnet_service_types': m0022,
  '0023_inactive_port_bindings': m0023,
});

export class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...MIGRATIONS };
  }
}

/**
 * The tables, as the application sees them. Migrations (db/migrations/) never
 * import this file: they are frozen in time, this file follows the newest one.
 *
 * Conventions: ids are UUID strings; booleans are stored as 0/1 integers so
 * that SQLite, MariaDB and PostgreSQL behave alike; timestamps are ISO-8601
 * UTC strings with whole seconds (`2026-11-25T22:19:52Z`), which sort
 * correctly as text; JSON values are stored as text.
 */
import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type CreatedAt = ColumnType<string, string, never>;
type Bool = number;

export interface StandardColumns {
  project_id: string;
  name: string;
  description: string;
  revision_number: number;
  created_at: CreatedAt;
  updated_at: string;
}

export interface NetworksTable extends StandardColumns {
  id: string;
  admin_state_up: Bool;
  status: string;
  /** 0 until ML2 computes it; the plugin reports global_physnet_mtu then. */
  mtu: number;
  /** router:external; who may use it as external is in networkrbacs (access_as_external). */
  router_external: Bool;
  port_security_enabled: Bool;
  dns_domain: string;
  /** JSON list of availability zone names. */
  availability_zone_hints: string;
  /** The default external network auto-allocation uplinks to (auto-allocated-topology); 0 on every other network. */
  is_default: Generated<Bool>;
}

export interface SubnetsTable extends StandardColumns {
  id: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: Bool;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  segment_id: string | null;
}

export interface AllocationPoolsTable {
  id: Generated<number>;
  subnet_id: string;
  first_ip: string;
  last_ip: string;
}

/** The device owners a subnet gives addresses to (subnet-service-types); none: any. */
export interface SubnetServiceTypesTable {
  subnet_id: string;
  service_type: string;
}

export interface DnsNameserversTable {
  subnet_id: string;
  address: string;
  /** Position in the list the client gave; order matters to resolvers. */
  position: number;
}

export interface HostRoutesTable {
  subnet_id: string;
  destination: string;
  nexthop: string;
}

export interface PortsTable extends StandardColumns {
  id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: Bool;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: Bool;
  dns_name: string;
  binding_host_id: string;
  binding_vnic_type: string;
  /** JSON object. */
  binding_profile: string;
  binding_vif_type: string;
  /** JSON object. */
  binding_vif_details: string;
  ip_allocation: string;
  /** port-device-profile: the Cyborg device profile, set on create only. */
  device_profile: string | null;
  /** port-numa-affinity-policy: required, preferred or legacy. */
  numa_affinity_policy: string | null;
}

/** binding-extended: a port's bindings other than the active one (in its binding_* columns), one per host. */
export interface InactivePortBindingsTable {
  port_id: string;
  host: string;
  vnic_type: string;
  /** JSON object. */
  profile: string;
  vif_type: string;
  /** JSON object. */
  vif_details: string;
}

/** One row per address a port holds. The primary key (subnet_id, ip_address) is what keeps two ports from sharing an IP, across processes. */
export interface IpAllocationsTable {
  subnet_id: string;
  ip_address: string;
  port_id: string;
  network_id: string;
}

export interface AllowedAddressPairsTable {
  port_id: string;
  ip_address: string;
  mac_address: string;
}

export interface ExtraDhcpOptsTable {
  port_id: string;
  opt_name: string;
  opt_value: string | null;
  ip_version: number;
}

export interface TagsTable {
  /** The tagged resource's id (ids are unique across resource types). */
  resource_id: string;
  tag: string;
}

/** One segment of a network (ML2). */
export interface NetworkSegmentsTable {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
  /** The standard attributes of a segment (the `segment` API): name is null unless given. */
  name: string | null;
  description: Generated<string>;
  revision_number: Generated<number>;
  created_at: CreatedAt;
  updated_at: string;
}

/** A segmentation id in use; physical_network is '' for types without one. */
export interface SegmentAllocationsTable {
  network_type: string;
  physical_network: string;
  segmentation_id: number;
}

export interface SecurityGroupsTable extends StandardColumns {
  id: string;
  stateful: Bool;
}

export interface SecurityGroupRulesTable extends Omit<StandardColumns, 'name'> {
  id: string;
  security_group_id: string;
  remote_group_id: string | null;
  /** Address groups are not implemented; always null for now. */
  remote_address_group_id: string | null;
  direction: string;
  ethertype: string;
  /** A protocol name or a decimal number as text; null for any. */
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  /** remote_ip_prefix with the host bits cleared (rules never change, so it is stored). */
  normalized_cidr: string | null;
}

/** One row per project that has its default group; the primary key (project_id) keeps it to one, across processes. */
export interface DefaultSecurityGroupsTable {
  project_id: string;
  security_group_id: string;
}

/** Which security groups a port uses. */
export interface SecurityGroupPortBindingsTable {
  port_id: string;
  security_group_id: string;
}

export interface AgentsTable {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  admin_state_up: Bool;
  created_at: CreatedAt;
  started_at: string;
  heartbeat_timestamp: string;
  description: string;
  /** JSON object the agent reports. */
  configurations: string;
  availability_zone: string | null;
  resources_synced: Bool | null;
}

export interface NetworkDhcpAgentBindingsTable {
  network_id: string;
  dhcp_agent_id: string;
}

/** A project's own limit for one resource (PUT /v2.0/quotas/{project}); resources without a row use the configured default. */
export interface QuotasTable {
  project_id: string;
  /** The quota resource name: network, subnet, port, security_group, ... */
  resource: string;
  /** -1 (or any negative value) is unlimited. */
  limit: number;
}

/**
 * One row per project and resource, taken (updated) by every quota-checked
 * create before it counts: creates of the same project and resource are
 * counted one after the other, across server processes.
 */
export interface QuotaLocksTable {
  project_id: string;
  resource: string;
  /** How many checks took the lock; its only purpose is to make the update a write. */
  generation: Generated<number>;
}

export interface AddressScopesTable {
  id: string;
  project_id: string;
  name: string;
  ip_version: number;
}

export interface SubnetPoolsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  is_default: Bool;
  /** Addresses per project (/32s of IPv4, /64s of IPv6); null: none. */
  default_quota: number | null;
  /** Changed by every allocation from the pool: the update is its lock. */
  hash: Generated<string>;
  address_scope_id: string | null;
}

/**
 * An RBAC entry (one table per object type, as Neutron's): the object shared
 * with a project (access_as_shared) or, for a network, external to it
 * (access_as_external); target_project '*' is every project. An object's
 * `shared` is derived from these.
 */
export interface RbacEntriesTable {
  id: string;
  /** Who created the entry (and may change it). */
  project_id: string;
  target_project: string;
  action: string;
  object_id: string;
}

export interface SubnetPoolPrefixesTable {
  cidr: string;
  subnetpool_id: string;
}

export interface RoutersTable extends StandardColumns {
  id: string;
  status: string;
  admin_state_up: Bool;
  /** The network:router_gateway port; null without a gateway. */
  gw_port_id: string | null;
  enable_snat: Bool;
  /** The flavor it was created with (l3-flavors); null without. */
  flavor_id: string | null;
}

/** The ports a router uses, with their role (network:router_interface, network:router_gateway). */
export interface RouterPortsTable {
  router_id: string;
  port_id: string;
  port_type: string;
}

/** A floating IP: an address of an external network (held by its floating_port_id port), and the fixed address it forwards to. */
export interface FloatingIpsTable extends Omit<StandardColumns, 'name'> {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  floating_port_id: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  /** The router it was associated through before its last change: the agent of that router takes its address down. */
  last_known_router_id: string | null;
  status: string;
}

/** Which L3 agent hosts which router. */
export interface RouterL3AgentBindingsTable {
  router_id: string;
  l3_agent_id: string;
}

/** A router's dvr, l3-ha and availability zone attributes (booleans as 0/1, the hints as a JSON list). */
export interface RouterExtraAttributesTable {
  router_id: string;
  distributed: Bool;
  ha: Bool;
  /** The VRRP id of an HA router; 0 until an L3 agent hosts it. */
  ha_vr_id: number;
  availability_zone_hints: string;
}

/** The network a project's HA routers share. */
export interface HaRouterNetworksTable {
  project_id: string;
  network_id: string;
}

/** The network and router auto-allocated to a project (get-me-a-network); router_id null once the router is gone. */
export interface AutoAllocatedTopologiesTable {
  project_id: string;
  network_id: string;
  router_id: string | null;
}

/** A router's extra routes. */
export interface RouterRoutesTable {
  destination: string;
  nexthop: string;
  router_id: string;
}

/** A flavor of a service (flavors): bound to service profiles, it names the provider of what is created with it. */
export interface FlavorsTable {
  id: string;
  name: string | null;
  description: string | null;
  enabled: Bool;
  service_type: string | null;
}

/** A service profile: a provider driver (or '' and metainfo). */
export interface ServiceProfilesTable {
  id: string;
  description: string | null;
  driver: string;
  enabled: Bool;
  metainfo: string | null;
}

export interface FlavorServiceProfileBindingsTable {
  flavor_id: string;
  service_profile_id: string;
}

/** An address group (address-group): a named set of CIDRs. */
export interface AddressGroupsTable extends StandardColumns {
  id: string;
}

/** One normalised CIDR of an address group. */
export interface AddressAssociationsTable {
  address: string;
  address_group_id: string;
}

export interface Database {
  networks: NetworksTable;
  subnets: SubnetsTable;
  subnet_allocation_pools: AllocationPoolsTable;
  subnet_dns_nameservers: DnsNameserversTable;
  subnet_routes: HostRoutesTable;
  subnet_service_types: SubnetServiceTypesTable;
  ports: PortsTable;
  inactive_port_bindings: InactivePortBindingsTable;
  ipallocations: IpAllocationsTable;
  allowed_address_pairs: AllowedAddressPairsTable;
  extra_dhcp_opts: ExtraDhcpOptsTable;
  tags: TagsTable;
  securitygroups: SecurityGroupsTable;
  securitygrouprules: SecurityGroupRulesTable;
  default_security_groups: DefaultSecurityGroupsTable;
  securitygroupportbindings: SecurityGroupPortBindingsTable;
  networksegments: NetworkSegmentsTable;
  ml2_segment_allocations: SegmentAllocationsTable;
  agents: AgentsTable;
  networkdhcpagentbindings: NetworkDhcpAgentBindingsTable;
  quotas: QuotasTable;
  quota_locks: QuotaLocksTable;
  address_scopes: AddressScopesTable;
  subnetpools: SubnetPoolsTable;
  subnetpoolprefixes: SubnetPoolPrefixesTable;
  networkrbacs: RbacEntriesTable;
  addressscoperbacs: RbacEntriesTable;
  subnetpoolrbacs: RbacEntriesTable;
  address_groups: AddressGroupsTable;
  address_associations: AddressAssociationsTable;
  addressgrouprbacs: RbacEntriesTable;
  securitygrouprbacs: RbacEntriesTable;
  routers: RoutersTable;
  routerports: RouterPortsTable;
  routerroutes: RouterRoutesTable;
  router_extra_attributes: RouterExtraAttributesTable;
  ha_router_networks: HaRouterNetworksTable;
  floatingips: FloatingIpsTable;
  routerl3agentbindings: RouterL3AgentBindingsTable;
  auto_allocated_topologies: AutoAllocatedTopologiesTable;
  flavors: FlavorsTable;
  serviceprofiles: ServiceProfilesTable;
  flavorserviceprofilebindings: FlavorServiceProfileBindingsTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

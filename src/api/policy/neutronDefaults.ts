/**
 * Neutron's default policy rules ("new defaults", enforce_new_defaults =
 * True) for the resources Nucleon serves, as data: rule name -> rule string,
 * with Neutron's names. Written from neutron/conf/policies/{base,network,
 * subnet,port,security_group,agent,quotas,network_ip_availability,
 * availability_zone,segment}.py and neutron_lib/policy/rules.py; the
 * composite strings below are built exactly as neutron-lib builds them.
 *
 * In short: admins may do everything, members write in their own project,
 * readers read it, the `service` role (Nova) sets and reads port bindings,
 * network owners control addresses, MACs and port security of ports on their
 * networks, and shared / external networks are readable by everyone.
 *
 * One deliberate difference: upstream lets only the `service` role set
 * `binding:profile` (`rule:service_api`); here admins may too, as they could
 * before policy files existed here (and as neutron-api.md section 7 says).
 */

// neutron_lib/policy/rules.py
const ADMIN = 'rule:admin_only';
const SERVICE = 'rule:service_api';
const PROJECT_MANAGER = 'role:manager and project_id:%(project_id)s';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const ADMIN_OR_SERVICE = `(${ADMIN}) or (${SERVICE})`;
const ADMIN_OR_PROJECT_MANAGER = `(${ADMIN}) or (${PROJECT_MANAGER})`;
const ADMIN_OR_PROJECT_MEMBER = `(${ADMIN}) or (${PROJECT_MEMBER})`;
const ADMIN_OR_PROJECT_READER = `(${ADMIN}) or (${PROJECT_READER})`;
const RULE_ADVSVC = 'rule:context_is_advsvc';

// neutron/conf/policies/base.py
const NET_OWNER_MANAGER = 'role:manager and rule:network_owner';
const NET_OWNER_MEMBER = 'role:member and rule:network_owner';
const NET_OWNER_READER = 'role:reader and rule:network_owner';
const ADMIN_OR_NET_OWNER_MEMBER = `(${ADMIN}) or (${NET_OWNER_MEMBER})`;
const ADMIN_OR_NET_OWNER_READER = `(${ADMIN}) or (${NET_OWNER_READER})`;
const ADMIN_OR_SG_OWNER_MEMBER = `(${ADMIN}) or (role:member and rule:sg_owner)`;
const ADMIN_OR_SG_OWNER_READER = `(${ADMIN}) or (role:reader and rule:sg_owner)`;

const or = (...rules: string[]): string => rules.join(' or ');

const base = {
  context_is_admin: 'role:admin',
  context_with_global_access: '!',
  service_api: 'role:service',
  owner: 'project_id:%(project_id)s',
  admin_or_owner: 'rule:context_is_admin or rule:owner',
  context_is_advsvc: 'role:advsvc',
  admin_or_network_owner: 'rule:context_is_admin or project_id:%(network:project_id)s',
  admin_owner_or_network_owner: 'rule:owner or rule:admin_or_network_owner',
  network_owner: 'project_id:%(network:project_id)s',
  admin_only: 'rule:context_is_admin',
  regular_user: '',
  shared: 'field:networks:shared=True',
  default: 'rule:admin_or_owner',
  admin_or_ext_parent_owner: 'rule:context_is_admin or project_id:%(ext_parent:project_id)s',
  ext_parent_owner: 'project_id:%(ext_parent:project_id)s',
  sg_owner: 'project_id:%(security_group:project_id)s',
};

const network = {
  external: 'field:networks:router:external=True',
  create_network: ADMIN_OR_PROJECT_MEMBER,
  'create_network:shared': ADMIN,
  'create_network:router:external': ADMIN,
  'create_network:is_default': ADMIN,
  'create_network:port_security_enabled': ADMIN_OR_PROJECT_MEMBER,
  'create_network:segments': ADMIN,
  'create_network:provider:network_type': ADMIN,
  'create_network:provider:physical_network': ADMIN,
  'create_network:provider:segmentation_id': ADMIN,
  'create_network:tags': ADMIN_OR_PROJECT_MEMBER,
  get_network: or(ADMIN_OR_PROJECT_READER, SERVICE, 'rule:shared', 'rule:external', RULE_ADVSVC),
  'get_network:segments': ADMIN,
  'get_network:provider:network_type': ADMIN,
  'get_network:provider:physical_network': ADMIN,
  'get_network:provider:segmentation_id': ADMIN,
  'get_network:tags': or(ADMIN_OR_PROJECT_READER, 'rule:shared', 'rule:external', RULE_ADVSVC),
  update_network: ADMIN_OR_PROJECT_MEMBER,
  'update_network:segments': ADMIN,
  'update_network:shared': ADMIN,
  'update_network:provider:network_type': ADMIN,
  'update_network:provider:physical_network': ADMIN,
  'update_network:provider:segmentation_id': ADMIN,
  'update_network:router:external': ADMIN,
  'update_network:is_default': ADMIN,
  'update_network:port_security_enabled': ADMIN_OR_PROJECT_MEMBER,
  'update_network:tags': ADMIN_OR_PROJECT_MEMBER,
  delete_network: ADMIN_OR_PROJECT_MEMBER,
  'delete_network:tags': ADMIN_OR_PROJECT_MEMBER,
};

const subnet = {
  external_network: 'field:subnets:router:external=True',
  create_subnet: ADMIN_OR_NET_OWNER_MEMBER,
  'create_subnet:segment_id': ADMIN,
  'create_subnet:service_types': ADMIN,
  'create_subnet:tags': or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  get_subnet: or(PROJECT_READER, 'rule:shared', 'rule:external_network', ADMIN_OR_NET_OWNER_READER, SERVICE),
  'get_subnet:segment_id': ADMIN,
  'get_subnet:tags': or(PROJECT_READER, 'rule:shared', 'rule:external_network', ADMIN_OR_NET_OWNER_READER),
  update_subnet: or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  'update_subnet:segment_id': ADMIN,
  'update_subnet:service_types': ADMIN,
  'update_subnet:tags': or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  delete_subnet: or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  'delete_subnet:tags': or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
};

/** Ports: every attribute that chooses addresses or bypasses filtering is the network owner's (or admin's, or Nova's). */
const port = {
  network_device: 'field:port:device_owner=~^network:',
  admin_or_data_plane_int: 'rule:context_is_admin or role:data_plane_integrator',
  create_port: or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared'),
  'create_port:device_id': or(ADMIN_OR_PROJECT_MEMBER, SERVICE),
  'create_port:device_owner': or('not rule:network_device', ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:mac_address': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:fixed_ips': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared'),
  'create_port:fixed_ips:ip_address': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:fixed_ips:subnet_id': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared'),
  'create_port:port_security_enabled': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:binding:host_id': ADMIN_OR_SERVICE,
  'create_port:binding:profile': ADMIN_OR_SERVICE, // upstream: rule:service_api (see above)
  'create_port:binding:vnic_type': or(ADMIN_OR_PROJECT_MEMBER, SERVICE),
  'create_port:allowed_address_pairs': or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
  'create_port:allowed_address_pairs:mac_address': or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
  'create_port:allowed_address_pairs:ip_address': or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
  'create_port:hints': ADMIN,
  'create_port:trusted': ADMIN,
  'create_port:tags': or(ADMIN_OR_PROJECT_MEMBER, RULE_ADVSVC),
  get_port: or(ADMIN_OR_SERVICE, NET_OWNER_READER, PROJECT_READER),
  'get_port:binding:vif_type': ADMIN_OR_SERVICE,
  'get_port:binding:vif_details': ADMIN_OR_SERVICE,
  'get_port:binding:host_id': ADMIN_OR_SERVICE,
  'get_port:binding:profile': ADMIN_OR_SERVICE,
  'get_port:resource_request': ADMIN,
  'get_port:hints': ADMIN,
  'get_port:trusted': ADMIN,
  'get_port:tags': or(RULE_ADVSVC, ADMIN_OR_NET_OWNER_READER, PROJECT_READER),
  update_port: or(ADMIN_OR_SERVICE, PROJECT_MEMBER),
  'update_port:device_id': or(ADMIN_OR_PROJECT_MEMBER, SERVICE),
  'update_port:device_owner': or('not rule:network_device', ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:mac_address': or(ADMIN_OR_SERVICE, NET_OWNER_MANAGER),
  'update_port:fixed_ips': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:fixed_ips:ip_address': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:fixed_ips:subnet_id': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared'),
  'update_port:port_security_enabled': or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:binding:host_id': ADMIN_OR_SERVICE,
  'update_port:binding:profile': ADMIN_OR_SERVICE, // upstream: rule:service_api (see above)
  'update_port:binding:vnic_type': or(ADMIN_OR_SERVICE, PROJECT_MEMBER),
  'update_port:allowed_address_pairs': or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
  'update_port:allowed_address_pairs:mac_address': or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
  'update_port:allowed_address_pairs:ip_address': or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
  'update_port:data_plane_status': or(ADMIN, 'role:data_plane_integrator'),
  'update_port:hints': ADMIN,
  'update_port:trusted': ADMIN,
  'update_port:tags': or(ADMIN_OR_PROJECT_MEMBER, RULE_ADVSVC),
  delete_port: or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, PROJECT_MEMBER),
  'delete_port:tags': or(RULE_ADVSVC, PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
};

const securityGroup = {
  admin_or_sg_owner: 'rule:context_is_admin or project_id:%(security_group:project_id)s',
  admin_owner_or_sg_owner: 'rule:owner or rule:admin_or_sg_owner',
  shared_security_group: 'field:security_groups:shared=True',
  rule_default_sg: 'field:security_group_rules:belongs_to_default_sg=True',
  create_security_group: ADMIN_OR_PROJECT_MEMBER,
  'create_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
  get_security_group: or(ADMIN_OR_PROJECT_READER, 'rule:shared_security_group'),
  'get_security_group:tags': or(ADMIN_OR_PROJECT_READER, 'rule:shared_security_group'),
  update_security_group: ADMIN_OR_PROJECT_MEMBER,
  'update_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
  delete_security_group: ADMIN_OR_PROJECT_MEMBER,
  'delete_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
  create_security_group_rule: ADMIN_OR_SG_OWNER_MEMBER,
  get_security_group_rule: ADMIN_OR_SG_OWNER_READER,
  delete_security_group_rule: ADMIN_OR_SG_OWNER_MEMBER,
};

/** Agents, DHCP scheduling, segments, IP availability and quota writes are the admin's. */
const admin = {
  create_agent: ADMIN,
  get_agent: ADMIN,
  update_agent: ADMIN,
  delete_agent: ADMIN,
  'create_dhcp-network': ADMIN,
  'get_dhcp-networks': ADMIN,
  'delete_dhcp-network': ADMIN,
  'get_dhcp-agents': ADMIN,
  get_quota: ADMIN_OR_PROJECT_MANAGER,
  update_quota: ADMIN,
  delete_quota: ADMIN,
  get_network_ip_availability: ADMIN_OR_SERVICE,
  get_availability_zone: 'role:reader',
  create_segment: ADMIN,
  get_segment: ADMIN,
  update_segment: ADMIN,
  delete_segment: ADMIN,
  create_segments_tags: ADMIN,
  get_segments_tags: ADMIN,
  update_segments_tags: ADMIN,
  delete_segments_tags: ADMIN,
};

export const neutronDefaultRules: Readonly<Record<string, string>> = {
  ...base,
  ...network,
  ...subnet,
  ...port,
  ...securityGroup,
  ...admin,
};

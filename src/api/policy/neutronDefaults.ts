/**
 * Neutron's default policy rules ("new defaults", enforce_new_defaults =
 * True, each with its deprecated form when it has one, see
 * resources/policyRules.ts) that belong to no declared collection: the base
 * rules the others refer to, and the rules of routes that are not plain
 * collections, with
 * Neutron's names (neutron/conf/policies/{base,quotas,network_ip_availability,
 * availability_zone,agent}.py). Each collection's own rules are in its
 * declaration under src/resources/ (`policy.rules`).
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

import { ADMIN, ADMIN_OR_PROJECT_MANAGER, ADMIN_OR_SERVICE, deprecated, RULE_ANY } from '../../resources/policyRules.js';
import type { PolicyRuleDecl } from '../../resources/types.js';

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

/** DHCP scheduling, IP availability and quota writes are the admin's. */
const admin = {
  'create_dhcp-network': ADMIN,
  'get_dhcp-networks': ADMIN,
  'delete_dhcp-network': ADMIN,
  'get_dhcp-agents': ADMIN,
  get_quota: deprecated(ADMIN_OR_PROJECT_MANAGER, ADMIN),
  update_quota: ADMIN,
  delete_quota: ADMIN,
  get_network_ip_availability: deprecated(ADMIN_OR_SERVICE, ADMIN),
  get_availability_zone: deprecated('role:reader', RULE_ANY),
};

export const neutronDefaultRules: Readonly<Record<string, PolicyRuleDecl>> = { ...base, ...admin };

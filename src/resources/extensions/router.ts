/**
 * The L3 router service plugin's extensions (service_plugins = router), as
 * Neutron's L3RouterPlugin advertises them: neutron-lib
 * api/definitions/l3.py, l3_ext_gw_mode.py, extraroute.py,
 * extraroute_atomic.py, l3_port_ip_change_not_allowed.py and
 * router_admin_state_down_before_update.py. Names, descriptions and dates
 * are upstream's, so that clients and tests probing them find what they
 * expect. Only loaded with the plugin: without it neither these extensions
 * nor /v2.0/routers exist.
 */
import { bool, cidr, ipAddress, name, projectId, uuid } from '../attributeTypes.js';
import {
  ADMIN,
  ADMIN_OR_PROJECT_MANAGER,
  ADMIN_OR_PROJECT_MEMBER,
  ADMIN_OR_PROJECT_READER,
  deprecated,
  RULE_ADMIN_OR_OWNER,
  RULE_ANY,
} from '../policyRules.js';
import type { AttrType, ExtensionDecl, ResourceDecl } from '../types.js';
import { floatingips } from './floatingIp.js';

/** A list of {destination, nexthop}: neutron-lib's type:hostroutes (extra routes). */
const routeList = {
  kind: 'list',
  of: { kind: 'object', fields: { destination: { type: cidr, required: true }, nexthop: { type: ipAddress, required: true } } },
} as const satisfies AttrType;

/**
 * external_gateway_info: l3.py's network_id and external_fixed_ips, with
 * ext-gw-mode's enable_snat (loaded together, always: one declaration).
 */
const externalGatewayInfo = {
  kind: 'object',
  // {} removes the gateway, as null does (Neutron's dict_or_nodata).
  emptyIsNull: true,
  fields: {
    network_id: { type: uuid, required: true },
    enable_snat: { type: bool },
    external_fixed_ips: {
      type: { kind: 'list', of: { kind: 'object', fields: { subnet_id: { type: uuid }, ip_address: { type: ipAddress } } } },
    },
  },
} as const satisfies AttrType;

export const routers = {
  collection: 'routers',
  member: 'router',
  table: 'routers',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'RouterNotFound', message: (id) => `Router ${id} could not be found` },
  quota: {},
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    admin_state_up: { type: bool, post: true, put: true, default: true, filter: true, sort: true, column: 'admin_state_up' },
    status: { type: { kind: 'string' }, sort: true, column: 'status' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    // Null without a gateway; the plugin reads and writes it (the gateway port's network and addresses, enable_snat).
    external_gateway_info: { type: externalGatewayInfo, post: true, put: true, nullable: true, default: null },
  },
  actions: {
    add_router_interface: { method: 'PUT', body: { subnet_id: { type: uuid }, port_id: { type: uuid } } },
    remove_router_interface: { method: 'PUT', body: { subnet_id: { type: uuid }, port_id: { type: uuid } } },
    // extraroute-atomic: {"router": {"routes": [...]}}, answered with the whole router.
    add_extraroutes: { method: 'PUT', body: { router: { type: { kind: 'object', fields: { routes: { type: routeList, required: true } } } } } },
    remove_extraroutes: { method: 'PUT', body: { router: { type: { kind: 'object', fields: { routes: { type: routeList, required: true } } } } } },
  },
  // neutron/conf/policies/router.py
  policy: {
    rules: {
      create_router: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_router:external_gateway_info': deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'create_router:external_gateway_info:network_id': deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'create_router:external_gateway_info:enable_snat': ADMIN,
      'create_router:external_gateway_info:external_fixed_ips': ADMIN,
      'create_router:tags': deprecated(ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_MANAGER),
      get_router: deprecated(ADMIN_OR_PROJECT_READER, RULE_ADMIN_OR_OWNER),
      'get_router:tags': ADMIN_OR_PROJECT_READER,
      update_router: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_router:external_gateway_info': deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_router:external_gateway_info:network_id': deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_router:external_gateway_info:enable_snat': ADMIN,
      'update_router:external_gateway_info:external_fixed_ips': ADMIN,
      'update_router:tags': deprecated(ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_MANAGER),
      delete_router: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'delete_router:tags': deprecated(ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_MANAGER),
      add_router_interface: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      remove_router_interface: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      add_extraroutes: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      remove_extraroutes: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const router = {
  alias: 'router',
  name: 'Neutron L3 Router',
  description: 'Routers: forward between a project\'s networks and reach an external network through a NAT gateway.',
  updated: '2012-07-20T10:00:00-00:00',
  resources: [routers, floatingips],
} as const satisfies ExtensionDecl;

export const extGwMode = {
  alias: 'ext-gw-mode',
  name: 'Neutron L3 Configurable external gateway mode',
  description: "enable_snat in a router's external_gateway_info: whether its networks' traffic leaves through source NAT.",
  updated: '2013-03-28T10:00:00-00:00',
} as const satisfies ExtensionDecl;

export const extraroute = {
  alias: 'extraroute',
  name: 'Neutron Extra Route',
  description: "routes: a router's static routes, each via a next hop on one of its networks.",
  updated: '2013-02-01T10:00:00-00:00',
  extends: {
    // PUT only; null means none. Each nexthop must be on a subnet the router is attached to.
    routers: { routes: { type: routeList, put: true, nullable: true } },
  },
} as const satisfies ExtensionDecl;

export const extrarouteAtomic = {
  alias: 'extraroute-atomic',
  name: 'Atomically add/remove extra routes',
  description: 'add_extraroutes and remove_extraroutes change some of a router\'s routes in one step on the server.',
  updated: '2019-07-10T00:00:00+00:00',
} as const satisfies ExtensionDecl;

export const l3PortIpChangeNotAllowed = {
  alias: 'l3-port-ip-change-not-allowed',
  name: 'Prevent L3 router ports IP address change extension',
  description: "The address of a router's interface port cannot be changed through the ports API.",
  updated: '2018-10-09T10:00:00-00:00',
} as const satisfies ExtensionDecl;

export const routerAdminStateDownBeforeUpdate = {
  alias: 'router-admin-state-down-before-update',
  name: "Enforce Router's Admin State Down Before Update Extension",
  description: 'A router must be administratively down before its distributed attribute changes.',
  updated: '2019-07-02T15:56:00',
} as const satisfies ExtensionDecl;

/**
 * dvr, l3-ha: whether a router is distributed or highly available. Unset on
 * create, [DEFAULT] router_distributed and l3_ha decide; null on update
 * changes nothing. Only admins set or see them (create_router:distributed,
 * get_router:ha, ... are rule:admin_only). Nucleon's data plane runs every
 * router as a legacy one, whatever they say.
 */
const routerType = { type: bool, post: true, put: true, nullable: true, policy: 'admin', adminOnlyVisible: true } as const;

export const dvr = {
  alias: 'dvr',
  name: 'Distributed Virtual Router',
  description: 'distributed: a router routes on every compute host instead of on one network node.',
  updated: '2014-06-1T10:00:00-00:00',
  extends: { routers: { distributed: routerType } },
} as const satisfies ExtensionDecl;

export const l3Ha = {
  alias: 'l3-ha',
  name: 'HA Router extension',
  description: 'ha: a router runs on several L3 agents at once, one of them active.',
  updated: '2014-04-26T00:00:00-00:00',
  extends: { routers: { ha: routerType } },
} as const satisfies ExtensionDecl;

export const routerAvailabilityZone = {
  alias: 'router_availability_zone',
  name: 'Router Availability Zone',
  description: 'availability_zone_hints: the zones a router should be hosted in; availability_zones: the zones it is.',
  updated: '2015-01-01T10:00:00-00:00',
  extends: {
    routers: {
      // The zones of the L3 agents hosting the router.
      availability_zones: { type: { kind: 'list', of: { kind: 'string' } } },
      // Zone names L3 agents report (neutron-lib's type:availability_zone_hint_list); none: [DEFAULT] default_availability_zones.
      availability_zone_hints: { type: { kind: 'list', of: { kind: 'string' }, unique: true }, post: true, default: () => [] },
    },
  },
} as const satisfies ExtensionDecl;

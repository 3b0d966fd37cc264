/**
 * Neutron's flavors service (neutron-lib api/definitions/flavors.py,
 * servicetype.py, l3_flavors.py): flavors name a kind of service an operator
 * offers (a service type such as L3_ROUTER_NAT), service profiles name the
 * provider driver that implements it, and a flavor is bound to its profiles
 * at /v2.0/flavors/{id}/service_profiles. /v2.0/service-providers lists the
 * provider drivers the loaded service plugins have. In Neutron the flavors
 * plugin is a default service plugin, loaded whatever service_plugins says,
 * so `flavors` and `service-type` are core extensions here; `l3-flavors`
 * (a router's flavor_id) comes with the router plugin.
 */
import { bool, name, uuid, uuidList } from '../attributeTypes.js';
import { ADMIN, ADMIN_OR_PROJECT_READER, deprecated, or, RULE_ANY } from '../policyRules.js';
import type { AttrType, ExtensionDecl, ResourceDecl } from '../types.js';

/** neutron-lib's LONG_DESCRIPTION_FIELD_SIZE: descriptions and a profile's driver. */
const longString = { kind: 'string', maxLength: 1024 } as const satisfies AttrType;

export const flavors = {
  collection: 'flavors',
  member: 'flavor',
  table: 'flavors',
  notFound: { type: 'FlavorNotFound', message: (id) => `Flavor ${id} could not be found.` },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    description: { type: longString, post: true, put: true, nullable: true, default: '', filter: true, sort: true, column: 'description' },
    // One of the loaded service plugins' types (type:service_plugin_type), checked by the plugin: the list depends on service_plugins.
    service_type: { type: { kind: 'string' }, post: true, required: true, filter: true, sort: true, column: 'service_type' },
    // The bound profiles' ids. Accepted on POST and PUT as upstream's map says, but ignored there as upstream does:
    // profiles are bound and unbound through /v2.0/flavors/{id}/service_profiles only.
    service_profiles: { type: uuidList, post: true, put: true, default: () => [] },
    enabled: { type: bool, post: true, put: true, default: true, filter: true, sort: true, column: 'enabled' },
  },
  // neutron/conf/policies/flavor.py
  policy: {
    rules: {
      create_flavor: ADMIN,
      // Flavors belong to no project: any reader may see them (upstream's 'role:reader'); admins too, whose
      // noauth context holds no implied roles.
      get_flavor: deprecated(or(ADMIN, 'role:reader'), RULE_ANY),
      update_flavor: ADMIN,
      delete_flavor: ADMIN,
    },
  },
} as const satisfies ResourceDecl;

export const serviceProfiles = {
  collection: 'service_profiles',
  member: 'service_profile',
  table: 'serviceprofiles',
  notFound: { type: 'ServiceProfileNotFound', message: (id) => `Service Profile ${id} could not be found.` },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    description: { type: longString, post: true, put: true, nullable: true, default: '', filter: true, sort: true, column: 'description' },
    // A provider driver's class path, as /v2.0/service-providers knows them; '' for none (then metainfo is needed).
    driver: { type: longString, post: true, put: true, default: '', filter: true, sort: true, column: 'driver' },
    metainfo: { type: { kind: 'string', maxLength: 4096 }, post: true, put: true, nullable: true, default: '', sort: true, column: 'metainfo' },
    enabled: { type: bool, post: true, put: true, default: true, filter: true, sort: true, column: 'enabled' },
  },
  policy: {
    rules: {
      create_service_profile: ADMIN,
      get_service_profile: ADMIN,
      update_service_profile: ADMIN,
      delete_service_profile: ADMIN,
    },
  },
} as const satisfies ResourceDecl;

/**
 * A flavor's bindings to service profiles: POST {"service_profile": {"id"}}
 * binds one, DELETE .../service_profiles/{profile id} unbinds it. Served
 * under each flavor, with upstream's rules (`<op>_flavor_service_profile`).
 */
export const flavorServiceProfiles = {
  collection: 'flavor_service_profiles',
  path: 'service_profiles',
  parent: 'flavors',
  member: 'service_profile',
  notFound: { type: 'ServiceProfileNotFound', message: (id) => `Service Profile ${id} could not be found.` },
  attributes: {
    id: { type: uuid, post: true, required: true },
  },
  immutable: true,
  // neutron/conf/policies/flavor.py
  policy: {
    name: 'flavor_service_profile',
    rules: {
      get_flavor_service_profile: deprecated(ADMIN_OR_PROJECT_READER, RULE_ANY),
      create_flavor_service_profile: ADMIN,
      delete_flavor_service_profile: ADMIN,
    },
  },
} as const satisfies ResourceDecl;

/** /v2.0/service-providers (GET only): each provider driver of each service type. */
export const serviceProviders = {
  collection: 'service-providers',
  member: 'service_provider',
  attributes: {
    service_type: { type: { kind: 'string' } },
    name: { type: { kind: 'string' } },
    default: { type: bool },
  },
  // neutron/conf/policies/service_type.py ('role:reader': providers belong to no project), admins as for flavors.
  policy: { rules: { get_service_provider: deprecated(or(ADMIN, 'role:reader'), RULE_ANY) } },
} as const satisfies ResourceDecl;

export const flavorsExtension = {
  alias: 'flavors',
  name: 'Neutron Service Flavors',
  description: 'Flavors: the kinds of a service an operator offers, each implemented by the provider drivers of its service profiles.',
  updated: '2015-09-17T10:00:00-00:00',
  resources: [flavors, serviceProfiles, flavorServiceProfiles],
} as const satisfies ExtensionDecl;

export const serviceType = {
  alias: 'service-type',
  name: 'Neutron Service Type Management',
  description: 'service-providers: the provider drivers the loaded service plugins offer, by service type.',
  updated: '2013-01-20T00:00:00-00:00',
  resources: [serviceProviders],
} as const satisfies ExtensionDecl;

export const l3Flavors = {
  alias: 'l3-flavors',
  name: 'Router Flavor Extension',
  description: "flavor_id: the flavor a router is created with, whose service profile's driver provides it.",
  updated: '2016-05-17T00:00:00-00:00',
  extends: {
    // Set on create only; a flavor's id, looked up as given (upstream validates nothing: an unknown id is FlavorNotFound).
    routers: { flavor_id: { type: { kind: 'string' }, post: true, nullable: true, default: null, sort: true, column: 'flavor_id' } },
  },
} as const satisfies ExtensionDecl;

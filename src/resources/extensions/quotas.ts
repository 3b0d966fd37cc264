/**
 * Quotas (neutron/extensions/quotasv2.py, quotasv2_detail.py): per-project
 * limits on how many of each resource a project may have, served by
 * api/quotaRoutes.ts (not a plain collection: `/v2.0/quotas/{project_id}`
 * plus its `default` and `details` views and the `project` whoami).
 *
 * The quota resources are the ones a client expects of an ML2 deployment
 * with routers and RBAC: upstream lists only the resources whose plugins are
 * loaded (router_route is not listed here: Nucleon has no routes of
 * routers yet). subnetpool has no option of its own upstream: its limit is
 * [quotas] default_quota. router, floatingip and rbac_policy are listed with their
 * configured defaults ahead of their resources, so that `openstack quota
 * set --routers` and `--floating-ips` work today.
 */
import type { Attributes, ExtensionDecl, ResourceDecl } from '../types.js';

/** The quota resources, in the order responses list them. */
export const QUOTA_RESOURCES = [
  'network',
  'subnet',
  'subnetpool',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
  'rbac_policy',
] as const;

export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** neutron-lib's DB_INTEGER_MAX_VALUE: the largest limit the database column holds. */
export const QUOTA_LIMIT_MAX = 2 ** 31 - 1;

/** -1 (unlimited) .. 2^31-1, integer strings accepted (converters.convert_to_int, then type:range). */
const limit = { type: { kind: 'integer', min: -1, max: QUOTA_LIMIT_MAX }, put: true } as const;

/**
 * The body of `PUT /v2.0/quotas/{project_id}`, `{"quota": {"network": 20}}`:
 * every quota resource is PUT-able, nothing else is known (`force` and
 * `check_limit` are taken out before the body is checked, as upstream does).
 */
export const quotaSet = {
  collection: 'quotas',
  member: 'quota',
  attributes: Object.fromEntries(QUOTA_RESOURCES.map((resource) => [resource, limit])) as Attributes,
} as const satisfies ResourceDecl;

export const quotas = {
  alias: 'quotas',
  name: 'Quota management support',
  description: 'Per-project limits on networks, subnets, ports, security groups and their rules, set by admins.',
  updated: '2012-07-29T10:00:00-00:00',
} as const satisfies ExtensionDecl;

export const quotaDetails = {
  alias: 'quota_details',
  name: 'Quota details management support',
  description: "A project's quota limits together with how much of each it uses (GET /v2.0/quotas/{project_id}/details).",
  updated: '2017-02-10T10:00:00-00:00',
} as const satisfies ExtensionDecl;

/**
 * Behaviour only (api/quotaRoutes.ts): `"check_limit": true` in a quota
 * update refuses a limit below what the project uses (400, nothing
 * changed), `"force": true` skips that check, and -1 (unlimited) always goes.
 */
export const quotaCheckLimit = {
  alias: 'quota-check-limit',
  name: 'Quota engine limit check',
  description: 'Support for checking the resource usage before applying a new quota limit',
  updated: '2021-09-08T16:00:00-00:00',
} as const satisfies ExtensionDecl;

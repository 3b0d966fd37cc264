/**
 * The building blocks of Neutron's default policy rules ("new defaults",
 * enforce_new_defaults = True), as neutron-lib (policy/rules.py) and
 * neutron/conf/policies/base.py compose them. Each resource's declaration
 * lists its own rules with these; the base rules they refer to
 * (`admin_only`, `network_owner`, ...) are in api/policy/neutronDefaults.ts.
 *
 * A rule Neutron declares with a `deprecated_rule` is declared here as
 * `deprecated(newRule, oldRule)`, the old one mostly one of the legacy
 * rules below (neutron_lib/policy/_engine.py); with `[oslo_policy]
 * enforce_new_defaults = false` the two are OR'ed (api/policy/enforcer.ts).
 */
import type { PolicyRuleDecl, ResourceDecl } from './types.js';

export const ADMIN = 'rule:admin_only';
export const SERVICE = 'rule:service_api';
export const RULE_ADVSVC = 'rule:context_is_advsvc';
export const PROJECT_MANAGER = 'role:manager and project_id:%(project_id)s';
export const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
export const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
export const ADMIN_OR_SERVICE = `(${ADMIN}) or (${SERVICE})`;
export const ADMIN_OR_PROJECT_MANAGER = `(${ADMIN}) or (${PROJECT_MANAGER})`;
export const ADMIN_OR_PROJECT_MEMBER = `(${ADMIN}) or (${PROJECT_MEMBER})`;
export const ADMIN_OR_PROJECT_READER = `(${ADMIN}) or (${PROJECT_READER})`;

export const NET_OWNER_MANAGER = 'role:manager and rule:network_owner';
export const NET_OWNER_MEMBER = 'role:member and rule:network_owner';
export const NET_OWNER_READER = 'role:reader and rule:network_owner';
export const ADMIN_OR_NET_OWNER_MEMBER = `(${ADMIN}) or (${NET_OWNER_MEMBER})`;
export const ADMIN_OR_NET_OWNER_READER = `(${ADMIN}) or (${NET_OWNER_READER})`;
export const ADMIN_OR_SG_OWNER_MEMBER = `(${ADMIN}) or (role:member and rule:sg_owner)`;
export const ADMIN_OR_SG_OWNER_READER = `(${ADMIN}) or (role:reader and rule:sg_owner)`;

export const or = (...rules: string[]): string => rules.join(' or ');

/** The legacy rules that Neutron's deprecated forms are written in. */
export const RULE_ANY = 'rule:regular_user';
export const RULE_ADMIN_OR_OWNER = 'rule:admin_or_owner';
export const RULE_ADMIN_OR_NET_OWNER = 'rule:admin_or_network_owner';

/** The resource as rule names call it: `create_<name>`, `get_<name>:<attr>`. */
export const ruleName = (resource: ResourceDecl): string => resource.policy?.name ?? resource.member;

/** What names an object in its URL: its id, or the declared primary key (a port binding's host). */
export const objectKey = (resource: ResourceDecl, object: Readonly<Record<string, unknown>>): string => String(object[resource.primaryKey ?? 'id']);

/** A rule and the deprecated form Neutron ORs with it while enforce_new_defaults is false. */
export const deprecated = (rule: string, old: string): PolicyRuleDecl => ({ rule, deprecated: old });

/**
 * The rules of a resource only admins use: `<op>_<member>` for each
 * operation, and for its tags when it has them.
 */
export function adminOnly(member: string, options: { readonly tagsAs?: string } = {}): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const op of ['create', 'get', 'update', 'delete']) {
    rules[`${op}_${member}`] = ADMIN;
    if (options.tagsAs !== undefined) rules[`${op}_${options.tagsAs}_tags`] = ADMIN;
  }
  return rules;
}

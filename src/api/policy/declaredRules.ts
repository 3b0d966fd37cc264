/**
 * Default rules that come from the resource declarations: each resource's
 * `policy.rules` (Neutron's table for it), and for attributes it does not
 * name, an attribute declared `policy: 'admin'` gets
 * `create_<member>:<attr>` and `update_<member>:<attr>` = `rule:admin_only`,
 * one declared `adminOnlyVisible` gets `get_<member>:<attr>` =
 * `rule:admin_only`. A policy file wins over both.
 */
import { ADMIN } from '../../resources/policyRules.js';
import type { ResourceDecl } from '../../resources/types.js';

export function declaredRules(resources: Iterable<ResourceDecl>): Map<string, string> {
  const rules = new Map<string, string>();
  for (const resource of resources) {
    for (const [name, decl] of Object.entries(resource.attributes)) {
      if (decl.policy === 'admin') {
        rules.set(`create_${resource.member}:${name}`, ADMIN);
        rules.set(`update_${resource.member}:${name}`, ADMIN);
      }
      if (decl.adminOnlyVisible) rules.set(`get_${resource.member}:${name}`, ADMIN);
    }
    for (const [name, rule] of Object.entries(resource.policy?.rules ?? {})) rules.set(name, rule);
  }
  return rules;
}

/**
 * Default rules that come from the resource declarations rather than from
 * Neutron's table: an attribute declared `policy: 'admin'` gets
 * `create_<member>:<attr>` and `update_<member>:<attr>` = `rule:admin_only`,
 * one declared `adminOnlyVisible` gets `get_<member>:<attr>` =
 * `rule:admin_only`. Neutron's own rules for the same names win; a policy
 * file wins over both.
 */
import type { ResourceDecl } from '../../resources/types.js';

const ADMIN = 'rule:admin_only';

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
  }
  return rules;
}

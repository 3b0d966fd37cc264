/**
 * Default rules that come from the resource declarations: each resource's
 * `policy.rules` (Neutron's table for it), and for attributes it does not
 * name, an attribute declared `policy: 'admin'` gets
 * `create_<member>:<attr>` and `update_<member>:<attr>` = `rule:admin_only`,
 * one declared `adminOnlyVisible` gets `get_<member>:<attr>` =
 * `rule:admin_only`. A policy file wins over both.
 */
import { ADMIN, ruleName } from '../../resources/policyRules.js';
import type { PolicyRuleDecl, ResourceDecl } from '../../resources/types.js';

/** A default rule: its rule string and, when Neutron still honours one, its deprecated form. */
export interface DefaultRule {
  readonly rule: string;
  readonly deprecated?: string;
}

export const defaultRule = (decl: PolicyRuleDecl): DefaultRule => (typeof decl === 'string' ? { rule: decl } : decl);

export function declaredRules(resources: Iterable<ResourceDecl>): Map<string, DefaultRule> {
  const rules = new Map<string, DefaultRule>();
  for (const resource of resources) {
    for (const [name, decl] of Object.entries(resource.attributes)) {
      if (decl.policy === 'admin') {
        rules.set(`create_${ruleName(resource)}:${name}`, { rule: ADMIN });
        rules.set(`update_${ruleName(resource)}:${name}`, { rule: ADMIN });
      }
      if (decl.adminOnlyVisible) rules.set(`get_${ruleName(resource)}:${name}`, { rule: ADMIN });
    }
    for (const [name, rule] of Object.entries(resource.policy?.rules ?? {})) rules.set(name, defaultRule(rule));
  }
  return rules;
}

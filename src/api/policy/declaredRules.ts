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

/** A default rule: its rule string and, when Neutron still honours one, its deprecated form and former name. */
export interface DefaultRule {
  readonly rule: string;
  readonly deprecated?: string;
  /** The name the rule had (a policy file that still sets it sets this rule, as oslo.policy honours renames). */
  readonly deprecatedName?: string;
}

/**
 * The tags rules were `<op>_<collection>_tags` before they were
 * `<op>_<member>:tags` (neutron/conf/policies/*.py: DeprecatedRule names
 * such as `get_networks_tags`, for every taggable resource here).
 */
const TAGS_RULE = /^(create|get|update|delete)_.+:tags$/;
const formerTagsName = (resource: ResourceDecl, name: string): string | undefined => {
  const op = resource.taggable === true ? TAGS_RULE.exec(name)?.[1] : undefined;
  return op === undefined ? undefined : `${op}_${resource.collection.replaceAll('-', '_')}_tags`;
};

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
    for (const [name, decl] of Object.entries(resource.policy?.rules ?? {})) {
      const rule = defaultRule(decl);
      const deprecatedName = formerTagsName(resource, name);
      rules.set(name, deprecatedName === undefined ? rule : { ...rule, deprecatedName });
    }
  }
  return rules;
}

/**
 * The built-in rules (Neutron's defaults and what the declarations imply),
 * checked synchronously, for the callers outside the HTTP controller that
 * validate bodies themselves (RPC handlers creating DHCP ports) and for
 * responses shaped without a request's policy. Parents are not loaded: a
 * rule that needs one (`%(network:project_id)s`) denies.
 */
import type { RequestContext } from '../../common/context.js';
import { PolicyNotAuthorized } from '../../common/errors.js';
import { ruleName } from '../../resources/policyRules.js';
import type { ResourceDecl } from '../../resources/types.js';
import { attributeRuleNames, pairProject, PolicyEnforcer, visibilityRules } from './enforcer.js';

const cache = new WeakMap<ResourceDecl, PolicyEnforcer>();

export function builtinPolicy(resource: ResourceDecl): PolicyEnforcer {
  let enforcer = cache.get(resource);
  if (enforcer === undefined) {
    enforcer = PolicyEnforcer.create({ resources: [resource] });
    cache.set(resource, enforcer);
  }
  return enforcer;
}

/** Throws PolicyNotAuthorized naming the first `<op>_<member>:<attr>` rule the caller fails for the attributes it set. */
export function enforceAttributeRules(
  resource: ResourceDecl,
  op: 'create' | 'update',
  item: Readonly<Record<string, unknown>>,
  explicit: Iterable<string>,
  ctx: RequestContext,
  enforcer: PolicyEnforcer = builtinPolicy(resource),
): void {
  for (const name of attributeRuleNames(enforcer, resource, `${op}_${ruleName(resource)}`, item, explicit)) {
    if (!enforcer.checkSync(name, item, ctx)) throw new PolicyNotAuthorized(name);
  }
}

/** The attributes whose `get_<member>:<attr>` rule refuses the caller. */
export function hiddenAttributesSync(
  resource: ResourceDecl,
  ctx: RequestContext,
  enforcer: PolicyEnforcer = builtinPolicy(resource),
): ReadonlySet<string> {
  const hidden = new Set<string>();
  for (const [attr, name] of visibilityRules(enforcer, resource)) if (!enforcer.checkSync(name, {}, ctx)) hidden.add(attr);
  return pairProject(hidden);
}

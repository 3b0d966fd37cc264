/**
 * Policy for one request, generic over resources, as Neutron's policy hook
 * applies it (neutron/pecan_wsgi/hooks/policy_enforcement.py):
 *
 * - create: `create_<member>` on the new object, then `create_<member>:<attr>`
 *   for each attribute the caller set (and `...:<attr>:<key>` for the keys of
 *   its list items); a refusal is 403, except that a port or subnet on a
 *   network (a rule in a security group) the caller neither owns nor may
 *   share answers the parent's NotFound, as if the parent did not exist;
 * - show and list: `get_<member>` on each object (a refused show is the
 *   resource's NotFound, refused list items are left out);
 * - update and delete: `update_<member>` (on the object with the changes
 *   applied, then per changed attribute) and `delete_<member>`; refused, the
 *   caller gets 403 if it may see the object and its NotFound otherwise (an
 *   object the plugin does not show the caller is the plugin's to answer),
 *   an update deciding on the object as upstream loads it for the check;
 * - responses leave out the attributes whose `get_<member>:<attr>` rule
 *   refuses the caller (checked on the first object, as upstream does);
 * - tags: `<get|create|update|delete>_<member>:tags` on the object;
 * - where the declaration names the resource otherwise for rules
 *   (`policy.name`, a nested resource's `port_binding`), that name stands
 *   for `<member>`.
 *
 * Rules that read a parent (`%(network:project_id)s`) load it once per
 * request, and only when the rest of the rule cannot decide without it.
 */
import type { RequestContext } from '../../common/context.js';
import { PolicyNotAuthorized } from '../../common/errors.js';
import { objectKey, ruleName } from '../../resources/policyRules.js';
import type { ResourceDecl } from '../../resources/types.js';
import { credentialsOf } from './credentials.js';
import { attributeRuleNames, pairProject, type ParentState, parentKey, type PolicyEnforcer, visibilityRules } from './enforcer.js';
import { type Credentials, evaluate } from './evaluate.js';
import type { Rule } from './rule.js';

type Target = Readonly<Record<string, unknown>>;

/** Loads a parent with an admin's view (undefined when it does not exist). */
export type ParentLoader = (collection: string, id: string) => Promise<Record<string, unknown> | undefined>;

export type TagOperation = 'get' | 'create' | 'update' | 'delete';

/**
 * The object as upstream loads it to authorize an update (fetch_resource in
 * neutron/pecan_wsgi/hooks/policy_enforcement.py asks the plugin only for the
 * attributes without a default): its id, project and what is required or
 * computed. A caller refused an update who sees the object only through a
 * defaulted attribute (a shared network's or address group's `shared`) is
 * told that it does not exist, not that it may not change it.
 */
function loadedForUpdate(resource: ResourceDecl, object: Target): Target {
  return Object.fromEntries(
    Object.entries(object).filter(([name]) => {
      const decl = resource.attributes[name];
      return decl === undefined ? name === 'project_id' : decl.default === undefined;
    }),
  );
}

/** Parents are loaded in rounds; a rule needs at most a few (network, security group). */
const MAX_ROUNDS = 8;

export class RequestPolicy {
  private readonly credentials: Credentials;
  private readonly loaded = new Map<string, Record<string, unknown> | null>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly parents: ParentState = (collection, id) => this.loaded.get(parentKey(collection, id));

  constructor(
    private readonly enforcer: PolicyEnforcer,
    readonly ctx: RequestContext,
    private readonly loadParent: ParentLoader,
  ) {
    this.credentials = credentialsOf(ctx);
  }

  /** Whether the named rule allows the caller on the target. */
  async check(name: string, target: Target): Promise<boolean> {
    const [allowed] = await this.evaluateEach(this.enforcer.rule(name), [target]);
    return allowed === true;
  }

  /**
   * Refused, a create whose declaration names a `createParent` (a port's
   * network, a rule's security group) answers the parent's NotFound when the
   * caller may neither own nor share the parent, as if it did not exist
   * (upstream's OwnershipValidationHook used the caller's view of it).
   */
  async authorizeCreate(resource: ResourceDecl, item: Target, explicit: Iterable<string>): Promise<void> {
    const action = `create_${ruleName(resource)}`;
    if (!(await this.check(action, item))) {
      await this.assertParentUsable(resource, item);
      throw new PolicyNotAuthorized(action);
    }
    for (const name of attributeRuleNames(this.enforcer, resource, action, item, explicit)) {
      if (!(await this.check(name, item))) throw new PolicyNotAuthorized(name);
    }
  }

  async authorizeShow(resource: ResourceDecl, object: Target): Promise<void> {
    if (!(await this.check(`get_${ruleName(resource)}`, object))) throw this.enforcer.notFound(resource.member, objectKey(resource, object));
  }

  /** The objects the caller may see, in order. */
  async visible<T extends Target>(resource: ResourceDecl, objects: readonly T[]): Promise<T[]> {
    const allowed = await this.evaluateEach(this.enforcer.rule(`get_${ruleName(resource)}`), objects);
    return objects.filter((_, i) => allowed[i]);
  }

  async authorizeUpdate(resource: ResourceDecl, original: Target, changes: Target): Promise<void> {
    const action = `update_${ruleName(resource)}`;
    const target = { ...original, ...changes };
    const names = [action, ...attributeRuleNames(this.enforcer, resource, action, target, Object.keys(changes))];
    for (const name of names) {
      if (!(await this.check(name, target))) await this.refuse(resource, { ...loadedForUpdate(resource, original), ...changes }, name);
    }
  }

  async authorizeDelete(resource: ResourceDecl, original: Target): Promise<void> {
    const action = `delete_${ruleName(resource)}`;
    if (!(await this.check(action, original))) await this.refuse(resource, original, action);
  }

  async authorizeTags(resource: ResourceDecl, operation: TagOperation, object: Target): Promise<void> {
    const action = `${operation}_${ruleName(resource)}:tags`;
    if (!(await this.check(action, object))) await this.refuse(resource, object, action);
  }

  /** Attributes to leave out of responses: their `get_<member>:<attr>` rule refuses the caller on `sample`. */
  async hiddenAttributes(resource: ResourceDecl, sample: Target = {}): Promise<ReadonlySet<string>> {
    const hidden = new Set<string>();
    for (const [attr, name] of visibilityRules(this.enforcer, resource)) {
      if (!(await this.check(name, sample))) hidden.add(attr);
    }
    return pairProject(hidden);
  }

  /** A caller who may see the object learns it is refused (403); one who may not, that it does not exist. */
  private async refuse(resource: ResourceDecl, object: Target, rule: string): Promise<never> {
    if (!(await this.check(`get_${ruleName(resource)}`, object))) throw this.enforcer.notFound(resource.member, objectKey(resource, object));
    throw new PolicyNotAuthorized(rule);
  }

  private async assertParentUsable(resource: ResourceDecl, item: Target): Promise<void> {
    const member = resource.policy?.createParent;
    const parent = member === undefined ? undefined : this.enforcer.parents.get(member);
    const id = parent === undefined ? undefined : item[parent.foreignKey];
    if (member === undefined || parent === undefined || typeof id !== 'string') return;
    const [allowed] = await this.evaluateEach(parent.usable, [item]);
    if (!allowed) throw this.enforcer.notFound(member, id);
  }

  /** Evaluates a rule on each target, loading the parents undecided targets need, round after round. */
  private async evaluateEach(rule: Rule | undefined, targets: readonly Target[]): Promise<boolean[]> {
    const results = targets.map(() => false);
    if (rule === undefined) return results;
    let pending = targets.map((_, i) => i);
    for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
      const needed = new Set<string>();
      const undecided: number[] = [];
      const env = this.enforcer.environment({}, this.credentials, this.parents);
      for (const i of pending) {
        env.target = targets[i]!;
        const verdict = evaluate(rule, env);
        if (verdict.kind === 'allow') results[i] = true;
        if (verdict.kind !== 'unknown') continue;
        needed.add(verdict.key);
        undecided.push(i);
      }
      await Promise.all([...needed].map((key) => this.load(key)));
      pending = undecided;
    }
    return results;
  }

  private load(key: string): Promise<void> {
    let loading = this.loading.get(key);
    if (loading === undefined) {
      const slash = key.indexOf('/');
      loading = this.loadParent(key.slice(0, slash), key.slice(slash + 1)).then((parent) => {
        this.loaded.set(key, parent ?? null);
      });
      this.loading.set(key, loading);
    }
    return loading;
  }
}

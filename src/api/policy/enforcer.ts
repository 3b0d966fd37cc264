/**
 * The rule set in force: Neutron's defaults, the defaults the resource
 * declarations imply, and the operator's policy file over both. Looks rules
 * up by name (an unknown name gets the `default` rule, as oslo's Rules
 * does), refuses cycles of `rule:` references, and evaluates a rule for a
 * caller against a plain target.
 */
import type { RequestContext } from '../../common/context.js';
import { type NeutronError, resourceNotFound } from '../../common/errors.js';
import { ruleName } from '../../resources/policyRules.js';
import type { ResourceDecl } from '../../resources/types.js';
import { isJsonObject } from '../pyFormat.js';
import { credentialsOf } from './credentials.js';
import { declaredRules, defaultRule, type DefaultRule } from './declaredRules.js';
import { type Credentials, type Environment, evaluate, type Lookup, MISSING } from './evaluate.js';
import { neutronDefaultRules } from './neutronDefaults.js';
import { formatRule, parseRule, referencedRules, type Rule } from './rule.js';

/** Rules from a policy file, already parsed, with where they came from. */
export interface PolicyOverrides {
  readonly source: string;
  readonly rules: ReadonlyMap<string, Rule>;
}

/** `rule:` references that come back to where they started. */
export class PolicyCycleError extends Error {
  constructor(readonly cycle: readonly string[]) {
    super(`rules refer to each other in a cycle: ${cycle.join(' -> ')}`);
  }
}

/**
 * A resource a `<parent>:<attr>` target key or a `field:<collection>:...`
 * check may read through the target's foreign key (neutron/policy.py
 * _RESOURCE_FOREIGN_KEYS): a port's `%(network:project_id)s` is the owner of
 * its `network_id`. Declared by the parent (`policy.foreignKey`).
 */
export interface PolicyParent {
  readonly collection: string;
  /** The collection as `field:` checks name it: `security_groups`. */
  readonly fieldCollection: string;
  readonly foreignKey: string;
  /** Whether the caller may use it for a create: owns it, or it is shared. */
  readonly usable: Rule;
}

/** The parents the declarations name, by member. */
export function policyParents(resources: Iterable<ResourceDecl>): ReadonlyMap<string, PolicyParent> {
  const parents = new Map<string, PolicyParent>();
  for (const resource of resources) {
    const foreignKey = resource.policy?.foreignKey;
    if (foreignKey === undefined) continue;
    const fieldCollection = resource.collection.replace(/-/g, '_');
    const usable = parseRule(`project_id:%(${resource.member}:project_id)s or field:${fieldCollection}:shared=True`);
    parents.set(resource.member, { collection: resource.collection, fieldCollection, foreignKey, usable });
  }
  return parents;
}

/** What is known of the parents a target references: an object, null when it does not exist, undefined when not loaded. */
export type ParentState = (collection: string, id: string) => Record<string, unknown> | null | undefined;

/** The key under which a parent is loaded: `networks/<id>`. */
export const parentKey = (collection: string, id: string): string => `${collection}/${id}`;

/**
 * A default rule as oslo.policy enforces it: the new rule, or, while
 * `enforce_new_defaults` is false, `(new) or (deprecated)` for a rule whose
 * deprecated form differs (oslo_policy/policy.py _handle_deprecated_rule).
 */
function parseDefault(rule: DefaultRule, enforceNewDefaults: boolean): Rule {
  const parsed = parseRule(rule.rule);
  if (enforceNewDefaults || rule.deprecated === undefined || rule.deprecated === rule.rule) return parsed;
  return { op: 'or', rules: [parsed, parseRule(rule.deprecated)] };
}

/**
 * A renamed rule that the policy file still sets under its former name, and
 * not under its new one, to something else than the deprecated default:
 * the file's rule, as oslo.policy carries it over.
 */
function renamedOverride(rule: DefaultRule, name: string, overrides: ReadonlyMap<string, Rule>): Rule | undefined {
  const former = rule.deprecatedName === undefined ? undefined : overrides.get(rule.deprecatedName);
  if (former === undefined || overrides.has(name)) return undefined;
  return formatRule(former) === formatRule(parseRule(rule.deprecated ?? rule.rule)) ? undefined : former;
}

export interface EnforcerOptions {
  /** The composed resources, for the rules their declarations imply. */
  readonly resources?: Iterable<ResourceDecl>;
  readonly overrides?: PolicyOverrides;
  /**
   * `[oslo_policy] enforce_new_defaults`: false (the default, as in Zed)
   * ORs each default rule with its deprecated form; true enforces the new
   * rules alone. A rule the policy file overrides is the file's either way.
   */
  readonly enforceNewDefaults?: boolean;
}

export class PolicyEnforcer {
  /** @internal */
  readonly parentOfFieldCollection: ReadonlyMap<string, string>;

  private constructor(
    private readonly rules: ReadonlyMap<string, Rule>,
    /** The declared resources, by member. */
    private readonly resources: ReadonlyMap<string, ResourceDecl>,
    /** The resources rules may read through a target's foreign key, by member. */
    readonly parents: ReadonlyMap<string, PolicyParent>,
    /** The policy file in force, if any. */
    readonly source: string | undefined,
    /** One line each: overrides that refer to rules nobody defines. */
    readonly warnings: readonly string[],
  ) {
    this.parentOfFieldCollection = new Map([...parents].map(([member, p]) => [p.fieldCollection, member]));
  }

  /** Throws PolicyCycleError. */
  static create(options: EnforcerOptions = {}): PolicyEnforcer {
    const enforceNewDefaults = options.enforceNewDefaults ?? false;
    const overrides = options.overrides?.rules ?? new Map<string, Rule>();
    const rules = new Map<string, Rule>();
    const resources = [...(options.resources ?? [])];
    const defaults = [...Object.entries(neutronDefaultRules).map(([name, decl]): [string, DefaultRule] => [name, defaultRule(decl)]), ...declaredRules(resources)];
    for (const [name, rule] of defaults) rules.set(name, renamedOverride(rule, name, overrides) ?? parseDefault(rule, enforceNewDefaults));
    for (const [name, rule] of overrides) rules.set(name, rule);
    assertAcyclic(rules);
    const warnings = [...overrides].flatMap(([name, rule]) =>
      referencedRules(rule)
        .filter((ref) => !rules.has(ref))
        .map((ref) => `policy rule '${name}' refers to undefined rule '${ref}' (the 'default' rule applies)`),
    );
    return new PolicyEnforcer(
      rules,
      new Map(resources.map((r) => [r.member, r])),
      policyParents(resources),
      options.overrides?.source,
      warnings,
    );
  }

  /** The NotFound a refused show of this member answers (the resource's own, so a refusal looks like absence). */
  notFound(member: string, id: string): NeutronError {
    return resourceNotFound(this.resources.get(member), id);
  }

  /** Whether a rule of this name is defined (Neutron's `might_not_exist` checks). */
  has(name: string): boolean {
    return this.rules.has(name);
  }

  /** The rule of this name, else the `default` rule (oslo's Rules.__missing__), else undefined (deny). */
  rule(name: string): Rule | undefined {
    return this.rules.get(name) ?? (name === 'default' ? undefined : this.rules.get('default'));
  }

  /**
   * The context with `isAdmin` from the `context_is_admin` rule, as Neutron's
   * context computes is_admin (the same as "has the admin role" unless a
   * policy file says otherwise).
   */
  withAdminFlag(ctx: RequestContext): RequestContext {
    const rule = this.rules.get('context_is_admin');
    if (rule === undefined) return ctx;
    const credentials = { ...credentialsOf({ ...ctx, isAdmin: false }), is_admin: false };
    const isAdmin = evaluate(rule, this.environment({}, credentials, () => null)).kind === 'allow';
    return isAdmin === ctx.isAdmin ? ctx : { ...ctx, isAdmin };
  }

  /** Evaluates a rule by name without loading parents (a `%(network:...)s` it would need denies). */
  checkSync(name: string, target: Readonly<Record<string, unknown>>, ctx: RequestContext): boolean {
    const rule = this.rule(name);
    return rule !== undefined && evaluate(rule, this.environment(target, credentialsOf(ctx), () => null)).kind === 'allow';
  }

  /** The evaluation environment for one target; `parents` says what is known of the resources it references. */
  environment(target: Readonly<Record<string, unknown>>, credentials: Credentials, parents: ParentState): TargetEnvironment {
    return new TargetEnvironment(this, target, credentials, parents);
  }
}

/**
 * A target's keys for `%(key)s` and `field:` checks. `<parent>:<attr>` keys
 * and the fields a target lacks but its parent has (Neutron reads
 * `field:networks:shared` of a port or subnet from its network) come from
 * the parent named by the target's foreign key. Reusable across targets
 * (`target` may be replaced), so that a list allocates one.
 */
export class TargetEnvironment implements Environment {
  constructor(
    private readonly enforcer: PolicyEnforcer,
    public target: Readonly<Record<string, unknown>>,
    readonly credentials: Credentials,
    private readonly parents: ParentState,
  ) {}

  rule(name: string): Rule | undefined {
    return this.enforcer.rule(name);
  }

  lookup(key: string): Lookup {
    if (Object.hasOwn(this.target, key)) return { kind: 'value', value: this.target[key] };
    const colon = key.indexOf(':');
    return colon > 0 ? this.fromParent(key.slice(0, colon), key.slice(colon + 1)) : MISSING;
  }

  field(collection: string, attr: string): Lookup {
    if (Object.hasOwn(this.target, attr)) return { kind: 'value', value: this.target[attr] };
    const member = this.enforcer.parentOfFieldCollection.get(collection);
    return member === undefined ? MISSING : this.fromParent(member, attr);
  }

  private fromParent(member: string, attr: string): Lookup {
    const parent = this.enforcer.parents.get(member);
    const id = parent === undefined ? undefined : this.target[parent.foreignKey];
    if (parent === undefined || typeof id !== 'string') return MISSING;
    const loaded = this.parents(parent.collection, id);
    if (loaded === undefined) return { kind: 'unresolved', key: parentKey(parent.collection, id) };
    return loaded !== null && Object.hasOwn(loaded, attr) ? { kind: 'value', value: loaded[attr] } : MISSING;
  }
}

/**
 * The attribute rules a create or update must pass for the attributes it
 * sets (`create_port:mac_address`), each followed by the rules of the keys
 * its object or list-of-objects value uses (`create_port:fixed_ips:ip_address`,
 * `create_router:external_gateway_info:enable_snat`), as
 * neutron/policy.py _build_match_rule builds them; only rules that exist.
 */
export function attributeRuleNames(
  enforcer: PolicyEnforcer,
  resource: ResourceDecl,
  action: string,
  item: Readonly<Record<string, unknown>>,
  explicit: Iterable<string>,
): string[] {
  const names: string[] = [];
  for (const attr of explicit) {
    if (resource.attributes[attr]?.enforcePolicy === false) continue;
    const own = `${action}:${attr}`;
    if (enforcer.has(own)) names.push(own);
    const value = item[attr];
    // The keys of a dict value (a router's external_gateway_info) or of its list items (a port's fixed_ips).
    const keys = new Set(Array.isArray(value) ? value.filter(isJsonObject).flatMap((o) => Object.keys(o)) : isJsonObject(value) ? Object.keys(value) : []);
    for (const key of keys) if (enforcer.has(`${own}:${key}`)) names.push(`${own}:${key}`);
  }
  return names;
}

/** [attribute, rule] for each visible attribute that has a `get_<member>:<attr>` rule. */
export function visibilityRules(enforcer: PolicyEnforcer, resource: ResourceDecl): [string, string][] {
  return Object.entries(resource.attributes)
    .filter(([, decl]) => decl.visible !== false)
    .map(([attr]): [string, string] => [attr, `get_${ruleName(resource)}:${attr}`])
    .filter(([, name]) => enforcer.has(name));
}

/** tenant_id and project_id are one attribute under two names: hiding one hides both. */
export function pairProject(hidden: Set<string>): ReadonlySet<string> {
  if (hidden.has('tenant_id') || hidden.has('project_id')) {
    hidden.add('tenant_id');
    hidden.add('project_id');
  }
  return hidden;
}

/** Throws PolicyCycleError for the first cycle of `rule:` references (an unknown name stands for `default`). */
function assertAcyclic(rules: ReadonlyMap<string, Rule>): void {
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (onPath.has(name)) throw new PolicyCycleError([...path.slice(path.indexOf(name)), name]);
    const rule = rules.get(name);
    if (rule === undefined) return;
    onPath.add(name);
    path.push(name);
    for (const ref of referencedRules(rule)) visit(rules.has(ref) || ref === 'default' ? ref : 'default');
    path.pop();
    onPath.delete(name);
    done.add(name);
  };
  for (const name of rules.keys()) visit(name);
}

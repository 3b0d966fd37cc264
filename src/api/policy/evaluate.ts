/**
 * Evaluates a parsed rule against a target (the object acted on) and the
 * caller's credentials, as oslo.policy's checks do. Pure and synchronous.
 *
 * Some checks need a value that is not in the target yet: `%(network:
 * project_id)s` on a port is its network's owner, which Neutron loads from
 * the database. The environment answers such a key `unresolved`, and the
 * evaluation then says `unknown` with the key, unless the rest of the rule
 * decides without it (three-valued logic: `a or b` is allowed when either
 * is, denied when both are, unknown otherwise; `and` likewise). The caller
 * loads what was asked for and evaluates again; for a member's own port
 * `get_port` never needs the network.
 */
import { pyStr } from '../pyFormat.js';
import { assertNever, type FieldValue, type GenericLeft, type Rule, type Template } from './rule.js';

export type Verdict =
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny' }
  /** The rule needs `key` (a `<parent>:<attr>` value) to decide. */
  | { readonly kind: 'unknown'; readonly key: string };

export const ALLOW: Verdict = { kind: 'allow' };
export const DENY: Verdict = { kind: 'deny' };

/** What the environment knows of a target key. */
export type Lookup = { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'missing' } | { readonly kind: 'unresolved'; readonly key: string };

export const MISSING: Lookup = { kind: 'missing' };

/** The caller, as oslo's `creds` dict: project_id, user_id, roles (lower case), is_admin, ... */
export type Credentials = Readonly<Record<string, unknown>> & { readonly roles: readonly string[] };

export interface Environment {
  /** A rule by name (with the `default` rule standing in for unknown names, as oslo's Rules does); undefined denies. */
  rule(name: string): Rule | undefined;
  /** A key of the target for `%(key)s`. */
  lookup(key: string): Lookup;
  /** The attribute a `field:<collection>:<attr>=...` check reads. */
  field(collection: string, attr: string): Lookup;
  readonly credentials: Credentials;
}

/** Nesting deeper than this through `rule:` references means a cycle the loader missed. */
const MAX_DEPTH = 64;

export function evaluate(rule: Rule, env: Environment, depth = 0): Verdict {
  if (depth > MAX_DEPTH) throw new Error('policy rules nest too deeply (a cycle of rule: references?)');
  switch (rule.op) {
    case 'always':
      return ALLOW;
    case 'never':
      return DENY;
    case 'rule': {
      const target = env.rule(rule.name);
      return target === undefined ? DENY : evaluate(target, env, depth + 1);
    }
    case 'role': {
      const role = format(rule.role, env);
      if (typeof role !== 'string') return role;
      const wanted = role.toLowerCase();
      return verdict(env.credentials.roles.some((r) => r === wanted || r.toLowerCase() === wanted));
    }
    case 'owner': {
      const value = env.lookup(rule.field);
      if (value.kind === 'unresolved') return { kind: 'unknown', key: value.key };
      if (value.kind === 'missing' || !Object.hasOwn(env.credentials, rule.credential)) return DENY;
      return verdict(pyStr(value.value) === pyStr(env.credentials[rule.credential]));
    }
    case 'field': {
      const value = env.field(rule.collection, rule.attr);
      if (value.kind === 'unresolved') return { kind: 'unknown', key: value.key };
      if (value.kind === 'missing') return DENY;
      return verdict(fieldMatches(value.value, rule.value));
    }
    case 'generic': {
      const match = format(rule.match, env);
      if (typeof match !== 'string') return match;
      return verdict(genericMatches(rule.left, match, env.credentials));
    }
    case 'not': {
      const inner = evaluate(rule.rule, env, depth + 1);
      return inner.kind === 'unknown' ? inner : verdict(inner.kind === 'deny');
    }
    case 'and': {
      let unknown: Verdict | undefined;
      for (const r of rule.rules) {
        const v = evaluate(r, env, depth + 1);
        if (v.kind === 'deny') return DENY;
        if (v.kind === 'unknown') unknown ??= v;
      }
      return unknown ?? ALLOW;
    }
    case 'or': {
      let unknown: Verdict | undefined;
      for (const r of rule.rules) {
        const v = evaluate(r, env, depth + 1);
        if (v.kind === 'allow') return ALLOW;
        if (v.kind === 'unknown') unknown ??= v;
      }
      return unknown ?? DENY;
    }
    default:
      return assertNever(rule);
  }
}

const verdict = (allowed: boolean): Verdict => (allowed ? ALLOW : DENY);

/** `template % target`; a missing key denies (oslo catches the KeyError and returns False). */
function format(template: Template, env: Environment): string | Verdict {
  let out = '';
  for (const part of template) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const value = env.lookup(part.key);
    if (value.kind === 'unresolved') return { kind: 'unknown', key: value.key };
    if (value.kind === 'missing') return DENY;
    out += pyStr(value.value);
  }
  return out;
}

/** oslo's GenericCheck: a literal compared as Python's str(), or a credential path (any element of a list matches). */
function genericMatches(left: GenericLeft, match: string, credentials: Credentials): boolean {
  if (left.kind === 'literal') return match === left.text;
  const find = (value: unknown, path: readonly string[]): boolean => {
    if (path.length === 0) return match === pyStr(value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const [key, ...rest] = path;
    if (key === undefined || !Object.hasOwn(value, key)) return false;
    const next = (value as Record<string, unknown>)[key];
    return Array.isArray(next) ? next.some((item) => find(item, rest)) : find(next, rest);
  };
  return find(credentials, left.path);
}

/**
 * Neutron's FieldCheck compares the target's value with the rule's, converted
 * by the attribute's converter: for booleans `True`/`true`/`1`, for numbers
 * the number, otherwise the text. A regex (`=~`) matches strings only.
 */
function fieldMatches(value: unknown, wanted: FieldValue): boolean {
  if (value === null || value === undefined) return false;
  if (wanted.kind === 'regex') return typeof value === 'string' && wanted.regex.test(value);
  const text = wanted.text;
  if (typeof value === 'boolean') {
    const lowered = text.toLowerCase();
    if (lowered === 'true' || lowered === '1') return value;
    if (lowered === 'false' || lowered === '0') return !value;
    return false;
  }
  if (typeof value === 'number') return text.trim() !== '' && Number(text) === value;
  return typeof value === 'string' && value === text;
}

/**
 * The oslo.policy rule language (oslo_policy/_parser.py and _checks.py, with
 * Neutron's own `project_id:`/`tenant_id:` and `field:` checks from
 * neutron/policy.py), parsed into a small tree:
 *
 *   rule      := or
 *   or        := and ('or' and)*
 *   and       := unary ('and' unary)*
 *   unary     := 'not' unary | '(' or ')' | check
 *   check     := '@' | '!' | <kind>:<match>
 *
 * so `not` binds tighter than `and`, which binds tighter than `or`, as
 * oslo's reducer does. Operators are case-insensitive; tokens are separated
 * by whitespace, and parentheses may stick to a check (`(role:admin)`) but
 * never split one (`%(project_id)s` keeps its own). The empty rule allows
 * everything.
 *
 * oslo "fails closed" on a rule it cannot parse (it logs and denies); here a
 * malformed rule is a RuleSyntaxError, so that a bad policy file stops the
 * server instead of silently denying.
 */

/** Text with `%(key)s` references to the target, as Python's `%` formats it. */
export type Template = readonly TemplatePart[];
export type TemplatePart = { readonly text: string } | { readonly key: string };

export type Rule =
  /** `@` or the empty rule. */
  | { readonly op: 'always' }
  /** `!` */
  | { readonly op: 'never' }
  /** `rule:<name>`: another rule, by name. */
  | { readonly op: 'rule'; readonly name: string }
  /** `role:<role>`: the caller has the role (case-insensitive). */
  | { readonly op: 'role'; readonly role: Template }
  /**
   * Neutron's OwnerCheck, `project_id:%(<field>)s` (and the deprecated
   * `tenant_id:`): the caller's project equals the target's field. A
   * `<parent>:<attr>` field (`network:project_id`) is read from the parent
   * the target references (its `network_id`).
   */
  | { readonly op: 'owner'; readonly credential: 'project_id' | 'tenant_id'; readonly field: string }
  /**
   * Neutron's FieldCheck, `field:<collection>:<attr>=<value>`: the target's
   * attribute equals the value (converted to the attribute's type), or, for
   * `=~<regex>`, matches the regular expression from its start.
   */
  | { readonly op: 'field'; readonly collection: string; readonly attr: string; readonly value: FieldValue }
  /**
   * oslo's GenericCheck, `<left>:<template>`: the formatted template equals a
   * Python literal (`True:%(shared)s`), or the credential at the dotted path
   * (`is_admin:True`, `user_id:%(user_id)s`).
   */
  | { readonly op: 'generic'; readonly left: GenericLeft; readonly match: Template }
  | { readonly op: 'not'; readonly rule: Rule }
  | { readonly op: 'and'; readonly rules: readonly Rule[] }
  | { readonly op: 'or'; readonly rules: readonly Rule[] };

export type FieldValue = { readonly kind: 'equals'; readonly text: string } | { readonly kind: 'regex'; readonly source: string; readonly regex: RegExp };

export type GenericLeft = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'credential'; readonly path: readonly string[] };

/** A malformed rule; `reason` says what is wrong and where. */
export class RuleSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export const ALWAYS: Rule = { op: 'always' };

type Token = { readonly kind: '(' | ')' | 'and' | 'or' | 'not' } | { readonly kind: 'check'; readonly text: string };

/** Splits a rule as oslo's _parse_tokenize does: on whitespace, then leading `(` and trailing `)` of each word. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    let start = 0;
    while (start < word.length && word[start] === '(') {
      tokens.push({ kind: '(' });
      start++;
    }
    let end = word.length;
    while (end > start && word[end - 1] === ')') end--;
    const clean = word.slice(start, end);
    if (clean !== '') {
      const lowered = clean.toLowerCase();
      if (lowered === 'and' || lowered === 'or' || lowered === 'not') tokens.push({ kind: lowered });
      else tokens.push({ kind: 'check', text: clean });
    }
    for (let i = end; i < word.length; i++) tokens.push({ kind: ')' });
  }
  return tokens;
}

const describe = (token: Token | undefined): string =>
  token === undefined ? 'the end of the rule' : token.kind === 'check' ? `'${token.text}'` : `'${token.kind}'`;

/** Parses a rule string. Throws RuleSyntaxError. */
export function parseRule(text: string): Rule {
  if (text === '') return ALWAYS;
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new RuleSyntaxError('the rule is only whitespace (use "" to allow everyone)');
  let pos = 0;
  const peek = () => tokens[pos];

  const parseOr = (): Rule => {
    const rules = [parseAnd()];
    while (peek()?.kind === 'or') {
      pos++;
      rules.push(parseAnd());
    }
    return rules.length === 1 ? rules[0]! : { op: 'or', rules };
  };
  const parseAnd = (): Rule => {
    const rules = [parseUnary()];
    while (peek()?.kind === 'and') {
      pos++;
      rules.push(parseUnary());
    }
    return rules.length === 1 ? rules[0]! : { op: 'and', rules };
  };
  const parseUnary = (): Rule => {
    const token = peek();
    const after = pos > 0 ? ` after ${describe(tokens[pos - 1])}` : ' at the start';
    if (token === undefined) throw new RuleSyntaxError(`expected a check${after}, found the end of the rule`);
    pos++;
    switch (token.kind) {
      case 'not':
        return { op: 'not', rule: parseUnary() };
      case '(': {
        const inner = parseOr();
        const close = peek();
        if (close?.kind !== ')') throw new RuleSyntaxError(`expected ')' to close '(', found ${describe(close)}`);
        pos++;
        return inner;
      }
      case 'check':
        return parseCheck(token.text);
      default:
        throw new RuleSyntaxError(`expected a check${after}, found ${describe(token)}`);
    }
  };

  const rule = parseOr();
  const rest = peek();
  if (rest !== undefined) {
    const reason = rest.kind === ')' ? "unbalanced ')'" : `expected 'and' or 'or' before ${describe(rest)}`;
    throw new RuleSyntaxError(reason);
  }
  return rule;
}

/** One `kind:match` check (oslo's _parse_check plus Neutron's registered checks). */
export function parseCheck(text: string): Rule {
  if (text === '@') return ALWAYS;
  if (text === '!') return { op: 'never' };
  if (/^["']/.test(text) && text.length >= 2 && text.at(-1) === text[0]) {
    throw new RuleSyntaxError(`${text} is a quoted string, not a check`);
  }
  const colon = text.indexOf(':');
  if (colon < 0) throw new RuleSyntaxError(`'${text}' is not a check (expected <kind>:<match>, '@' or '!')`);
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  switch (kind) {
    case 'rule':
      if (match === '') throw new RuleSyntaxError(`'${text}' names no rule`);
      return { op: 'rule', name: match };
    case 'role':
      if (match === '') throw new RuleSyntaxError(`'${text}' names no role`);
      return { op: 'role', role: parseTemplate(match, text) };
    case 'project_id':
    case 'tenant_id': {
      const field = /^%\((.+)\)s$/.exec(match)?.[1];
      if (field === undefined || field.includes(')s')) {
        throw new RuleSyntaxError(`'${text}': a ${kind} check compares with one target field, written %(<field>)s`);
      }
      return { op: 'owner', credential: kind, field };
    }
    case 'field':
      return parseField(match, text);
    case 'http':
    case 'https':
      throw new RuleSyntaxError(`'${text}': ${kind} checks (a remote policy server) are not supported`);
    case '':
      throw new RuleSyntaxError(`'${text}' has no kind before ':'`);
    default:
      return { op: 'generic', left: genericLeft(kind), match: parseTemplate(match, text) };
  }
}

/** `<collection>:<attr>=<value>`; the attribute may contain ':' (`networks:router:external=True`). */
function parseField(match: string, text: string): Rule {
  const colon = match.indexOf(':');
  const eq = match.indexOf('=', colon + 1);
  if (colon <= 0 || eq < 0 || eq === colon + 1) {
    throw new RuleSyntaxError(`'${text}': a field check is written field:<collection>:<attribute>=<value>`);
  }
  const collection = match.slice(0, colon);
  const attr = match.slice(colon + 1, eq);
  const raw = match.slice(eq + 1);
  if (!raw.startsWith('~')) return { op: 'field', collection, attr, value: { kind: 'equals', text: raw } };
  const source = raw.slice(1);
  try {
    // Python's re.match: anchored at the start only.
    return { op: 'field', collection, attr, value: { kind: 'regex', source, regex: new RegExp(`^(?:${source})`) } };
  } catch (err) {
    throw new RuleSyntaxError(`'${text}': invalid regular expression: ${(err as Error).message}`);
  }
}

/** The left side of a generic check: a Python literal (ast.literal_eval) or a dotted credential path. */
function genericLeft(kind: string): GenericLeft {
  if (kind === 'True' || kind === 'False' || kind === 'None') return { kind: 'literal', text: kind };
  if (/^-?(0|[1-9]\d*)$/.test(kind)) return { kind: 'literal', text: kind === '-0' ? '0' : kind };
  const quoted = /^'([^'\\]*)'$|^"([^"\\]*)"$/.exec(kind);
  if (quoted) return { kind: 'literal', text: quoted[1] ?? quoted[2] ?? '' };
  return { kind: 'credential', path: kind.split('.') };
}

/** Python's `text % target` with only `%(key)s` and `%%`; anything else would fail at evaluation upstream, here it fails to parse. */
export function parseTemplate(text: string, check: string): Template {
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '%') {
      literal += c;
      continue;
    }
    if (text[i + 1] === '%') {
      literal += '%';
      i++;
      continue;
    }
    const ref = /^%\(([^)]*)\)s/.exec(text.slice(i));
    if (!ref) throw new RuleSyntaxError(`'${check}': only %(<field>)s and %% may follow '%'`);
    if (literal !== '') parts.push({ text: literal });
    literal = '';
    parts.push({ key: ref[1] ?? '' });
    i += ref[0].length - 1;
  }
  if (literal !== '' || parts.length === 0) parts.push({ text: literal });
  return parts;
}

const templateText = (t: Template): string =>
  t.map((p) => ('key' in p ? `%(${p.key})s` : p.text.replaceAll('%', '%%'))).join('');

/** The rule as oslo prints a check tree (`(rule:a or (role:b and not rule:c))`). */
export function formatRule(rule: Rule): string {
  switch (rule.op) {
    case 'always':
      return '@';
    case 'never':
      return '!';
    case 'rule':
      return `rule:${rule.name}`;
    case 'role':
      return `role:${templateText(rule.role)}`;
    case 'owner':
      return `${rule.credential}:%(${rule.field})s`;
    case 'field':
      return `field:${rule.collection}:${rule.attr}=${rule.value.kind === 'regex' ? `~${rule.value.source}` : rule.value.text}`;
    case 'generic':
      return `${rule.left.kind === 'literal' ? rule.left.text : rule.left.path.join('.')}:${templateText(rule.match)}`;
    case 'not':
      return `not ${formatRule(rule.rule)}`;
    case 'and':
      return `(${rule.rules.map(formatRule).join(' and ')})`;
    case 'or':
      return `(${rule.rules.map(formatRule).join(' or ')})`;
    default:
      return assertNever(rule);
  }
}

/** Names of the rules a rule refers to with `rule:<name>`. */
export function referencedRules(rule: Rule): string[] {
  switch (rule.op) {
    case 'rule':
      return [rule.name];
    case 'not':
      return referencedRules(rule.rule);
    case 'and':
    case 'or':
      return rule.rules.flatMap(referencedRules);
    default:
      return [];
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

/**
 * oslo.config's `$name` substitution (Python's `string.Template` with
 * `safe_substitute`): `$name` or `${name}` is replaced by another option's
 * value, `${section.name}` names the section explicitly, `$$` and `\$` are a
 * literal `$`, and a `$` that starts no valid placeholder stays as written.
 */
import type { Converted } from './convert.js';

/** The placeholders of string.Template, case-insensitive as in Python; a dotted name only inside braces. */
const PLACEHOLDER = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*(?:\.[_a-z][_a-z0-9]*)?)\})/gi;

/**
 * Replaces the placeholders in `raw`. `resolve` returns the referenced
 * option's value as text, or undefined when no such option is declared.
 */
export function interpolate(raw: string, resolve: (name: string) => string | undefined): Converted<string> {
  if (!raw.includes('$')) return { ok: true, value: raw };
  // oslo treats `\$` like `$$`: "a bit more natural for users".
  const text = raw.replaceAll('\\$', '$$$$');
  let unknown: string | undefined;
  const value = text.replace(PLACEHOLDER, (match, dollar?: string, bare?: string, braced?: string) => {
    if (dollar !== undefined) return '$';
    const name = bare ?? braced ?? '';
    const resolved = resolve(name);
    if (resolved === undefined) {
      unknown ??= match;
      return match;
    }
    return resolved;
  });
  if (unknown !== undefined) {
    return { ok: false, reason: `'${raw}' refers to ${unknown}, which is not a known option (write $$ for a literal $)` };
  }
  return { ok: true, value };
}


/**
 * A strict reader for the one YAML shape a policy file has: a flat mapping
 * of rule names to rule strings, as oslopolicy-sample-generator writes it.
 *
 * Supported: `name: value` lines at column 0; names plain (may contain ':'
 * not followed by a space, `create_network:shared`), 'single-' or
 * "double-quoted"; values plain, 'single-quoted' ('' is a quote) or
 * "double-quoted" (\" \\ \/ \n \t \uXXXX escapes); a value may continue on
 * more indented lines (folded into one line with single spaces) or start on
 * the next, indented line; `#` comments (whole lines, or after a space);
 * blank lines; a leading `---`; an empty document, or `{}`.
 *
 * Refused with the line number: indentation that is not a continuation
 * (nested mappings), lists, flow collections (`[`, `{` values), block
 * scalars (`|`, `>`), anchors, aliases and tags (`&`, `*`, `!`), values that
 * YAML would not read as strings (`true`, `null`, `~`, numbers), plain values
 * starting with `@` or `` ` `` (reserved in YAML: quote `"@"`), a missing
 * value, duplicate names, and tabs in indentation.
 */

export class FlatYamlError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export interface FlatEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** Characters a plain scalar may not start with (YAML 1.2 indicators). */
const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

/** Plain scalars YAML 1.1 (PyYAML, what oslo reads with) resolves to something other than a string. */
const NOT_A_STRING = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

export function parseFlatYaml(text: string): FlatEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: FlatEntry[] = [];
  const seen = new Map<string, number>();
  let i = 0;
  const isBlankOrComment = (line: string) => /^\s*(#.*)?$/.test(line);
  const isContinuation = (line: string | undefined) => line !== undefined && /^[ \t]+\S/.test(line) && !/^\s*#/.test(line);

  let sawContent = false;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const number = i + 1;
    if (isBlankOrComment(line)) continue;
    if (!sawContent && /^---(\s+#.*)?\s*$/.test(line)) {
      sawContent = true;
      continue;
    }
    sawContent = true;
    if (/^\{\s*\}\s*(#.*)?$/.test(line) && entries.length === 0 && lines.slice(i + 1).every(isBlankOrComment)) break;
    if (/^\s/.test(line)) throw new FlatYamlError(number, 'unexpected indentation: a policy file is a flat map of "name": "rule" lines');
    if (line.startsWith('- ') || line === '-') throw new FlatYamlError(number, 'a list is not a policy file: write "name": "rule" lines');

    const { key, rest } = readKey(line, number);
    if (seen.has(key)) throw new FlatYamlError(number, `duplicate rule '${key}' (first on line ${seen.get(key)})`);
    seen.set(key, number);

    // The value: on this line, or on the following indented lines.
    const first = rest.trim() === '' || /^\s+#/.test(rest) ? '' : rest.trimStart();
    const continuation: string[] = [];
    while (isContinuation(lines[i + 1])) {
      const next = lines[++i]!;
      if (/^ *\t/.test(next)) throw new FlatYamlError(i + 1, 'tabs are not allowed in indentation');
      continuation.push(next.trim());
    }
    const value = readValue([first, ...continuation].filter((part, k) => k > 0 || part !== ''), key, number);
    entries.push({ key, value, line: number });
  }
  return entries;
}

/** `name:` at the start of a line; returns the name and what follows the colon. */
function readKey(line: string, number: number): { key: string; rest: string } {
  const quote = line[0];
  if (quote === '"' || quote === "'") {
    const { text, end } = readQuoted(line, 0, number);
    const after = line.slice(end);
    if (!after.startsWith(':')) throw new FlatYamlError(number, `expected ':' after the quoted name ${line.slice(0, end)}`);
    if (after.length > 1 && !/^:\s/.test(after)) throw new FlatYamlError(number, "expected a space after ':'");
    return { key: text, rest: after.slice(1) };
  }
  if (INDICATORS.has(line[0] ?? '')) throw new FlatYamlError(number, `a name cannot start with '${line[0]}' unless quoted`);
  const colon = /:(\s|$)/.exec(line);
  if (!colon) throw new FlatYamlError(number, 'expected "name": "rule"');
  const key = line.slice(0, colon.index).trimEnd();
  if (/\s#/.test(key)) throw new FlatYamlError(number, 'expected "name": "rule"');
  return { key, rest: line.slice(colon.index + 1) };
}

/** The value from its pieces: the text after the colon (if any) and the continuation lines, trimmed. */
function readValue(pieces: readonly string[], key: string, number: number): string {
  const joined = pieces.join('\n');
  if (joined === '') throw new FlatYamlError(number, `rule '${key}' has no value (write "" for a rule that allows everyone)`);
  const quote = joined[0];
  if (quote === '"' || quote === "'") {
    const { text, end } = readQuoted(joined, 0, number);
    const after = joined.slice(end);
    if (!/^\s*(#.*)?$/.test(after)) throw new FlatYamlError(number, `unexpected text after the quoted value of '${key}'`);
    return text;
  }
  const head = joined[0] ?? '';
  if (head === '[' || head === '{') throw new FlatYamlError(number, `the value of '${key}' must be a string, not a ${head === '[' ? 'list' : 'mapping'}`);
  if (head === '|' || head === '>') throw new FlatYamlError(number, `block scalars (| and >) are not supported: quote the rule of '${key}'`);
  if (head === '-' || head === '?' || head === ':') {
    // These start a plain scalar only when a non-space follows (`-foo`).
    if (/^[-?:](\s|$)/.test(joined)) throw new FlatYamlError(number, `the value of '${key}' must be a string: quote it`);
  } else if (INDICATORS.has(head)) {
    throw new FlatYamlError(number, `'${head}' cannot start a plain YAML value: quote the rule of '${key}' ("${head}...")`);
  }
  // Plain: a comment starts at ' #'; lines fold into one with single spaces.
  const text = joined
    .split('\n')
    .map((part) => part.replace(/\s+#.*$/, '').trim())
    .filter((part) => part !== '')
    .join(' ');
  if (/:(\s|$)/.test(text)) throw new FlatYamlError(number, `YAML reads ': ' or a final ':' in the value of '${key}' as a mapping: quote it`);
  if (NOT_A_STRING.test(text)) throw new FlatYamlError(number, `YAML reads the value of '${key}' (${text}) as a non-string: quote it`);
  return text;
}

/** A quoted scalar starting at `start`, possibly over several (folded) lines. */
function readQuoted(text: string, start: number, number: number): { text: string; end: number } {
  const quote = text[start];
  let out = '';
  let i = start + 1;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      // Folding: the line break and the next line's indentation become one space.
      out = out.trimEnd() + ' ';
      while (text[i + 1] === ' ' || text[i + 1] === '\t') i++;
      continue;
    }
    if (quote === "'") {
      if (c !== "'") out += c;
      else if (text[i + 1] === "'") {
        out += "'";
        i++;
      } else return { text: out, end: i + 1 };
      continue;
    }
    if (c === '"') return { text: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[++i];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', ' ': ' ' };
    if (e !== undefined && e in simple) out += simple[e];
    else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16));
      i += 4;
    } else throw new FlatYamlError(number, `unsupported escape '\\${e ?? ''}' in a double-quoted string`);
  }
  throw new FlatYamlError(number, `unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`);
}

/**
 * A line-based parser for oslo.config INI files, following oslo's
 * `iniparser.BaseParser` rather than the `ini` npm package: that package
 * turns indented continuation lines into keys of their own, converts `true`
 * to a boolean, cuts values at an inline `#` (oslo keeps it) and gives no
 * line numbers for error messages.
 */
import { ConfigError } from '../common/errors.js';

/** One `name = value` assignment as written, before any conversion. */
export interface IniEntry {
  /** Normalized: `DEFAULT` as written, any other section lower-cased, as oslo does. */
  readonly section: string;
  readonly name: string;
  /** Continuation lines are joined with `\n`, as oslo joins them. */
  readonly value: string;
  readonly line: number;
}

export interface ParsedIni {
  readonly file: string;
  /** In file order; a key may repeat (the last one wins when resolving). */
  readonly entries: readonly IniEntry[];
}

/** oslo keeps `[DEFAULT]` exact and lower-cases other section names, so `[QUOTAS]` is `[quotas]`. */
export function normalizeSection(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

/** Parses `text` read from `file` (the name is used in errors only). Throws ConfigError on a syntax error. */
export function parseIni(text: string, file: string): ParsedIni {
  const entries: IniEntry[] = [];
  let section: string | undefined;
  let pending: { name: string; lines: string[]; line: number } | undefined;

  const syntaxError = (lineNo: number, reason: string) =>
    new ConfigError(file, section, `line ${lineNo}`, reason);

  const flush = () => {
    if (pending && section !== undefined) {
      entries.push({ section, name: pending.name, value: pending.lines.join('\n'), line: pending.line });
    }
    pending = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trimEnd();
    if (line === '') {
      // A blank line ends a multi-line value.
      flush();
      return;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const content = line.trimStart();
      if (pending) {
        pending.lines.push(content);
        return;
      }
      // oslo rejects any orphan indented line; an indented comment is harmless, so allow that.
      if (content.startsWith('#') || content.startsWith(';')) return;
      throw syntaxError(lineNo, `unexpected continuation line '${content}'`);
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw syntaxError(lineNo, `section header '${line}' has no closing ']'`);
      const name = line.slice(1, -1).trim();
      if (name === '') throw syntaxError(lineNo, 'empty section name');
      section = normalizeSection(name);
      return;
    }
    if (line.startsWith('#') || line.startsWith(';')) return;
    const assignment = splitAssignment(line);
    if (!assignment) throw syntaxError(lineNo, `expected 'name = value', got '${line}'`);
    if (assignment.name === '') throw syntaxError(lineNo, `empty option name in '${line}'`);
    if (section === undefined) throw syntaxError(lineNo, `option '${assignment.name}' appears before any [section]`);
    pending = { name: assignment.name, lines: [assignment.value], line: lineNo };
  });
  flush();
  return { file, entries };
}

/** oslo splits at the first `=` or `:`, whichever comes first, and strips one pair of matching quotes. */
function splitAssignment(line: string): { name: string; value: string } | undefined {
  const equal = line.indexOf('=');
  const colon = line.indexOf(':');
  if (equal < 0 && colon < 0) return undefined;
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
  const name = line.slice(0, at).trim();
  let value = line.slice(at + 1).trim();
  const first = value[0];
  if (value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)) value = value.slice(1, -1);
  return { name, value };
}

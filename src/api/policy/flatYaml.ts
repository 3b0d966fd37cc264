/**
 * The one YAML shape a policy file has: a flat mapping of rule names to rule
 * strings, as oslopolicy-sample-generator writes it. The `yaml` package
 * reads the text as YAML 1.1 (what PyYAML, and so oslo.policy, reads); this
 * module keeps only that shape and says what is wrong with the line of the
 * rule:
 *
 * Accepted: `name: value` lines at column 0, names and values plain,
 * 'single-' or "double-quoted", values folded over more indented lines,
 * comments, blank lines, a leading `---`, an empty document or `{}`.
 *
 * Refused: indentation of the mapping or nested mappings, lists, flow
 * collections, block scalars (`|`, `>`), anchors, aliases and tags (`&`,
 * `*`, `!`), values that YAML does not read as strings (`true`, `yes`,
 * `null`, `~`, numbers, dates), a missing value, duplicate names, and
 * whatever YAML itself refuses (tabs in indentation, `@` starting a plain
 * value, an unterminated quote, ...).
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type ScalarTag, type Tags, type YAMLError } from 'yaml';

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

const FLAT = 'a policy file is a flat map of "name": "rule" lines';

/**
 * YAML 1.1 as PyYAML resolves it: its booleans are the words below, not the
 * single letters y / n that the `yaml` package's 1.1 schema adds.
 */
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const pyyamlTags = (tags: Tags): Tags =>
  tags.map((tag) => (isBoolTag(tag) ? { ...tag, test: tag.identify?.(true) === true ? PYYAML_TRUE : PYYAML_FALSE } : tag));
const isBoolTag = (tag: Tags[number]): tag is ScalarTag => typeof tag === 'object' && tag.tag === 'tag:yaml.org,2002:bool' && !('collection' in tag && tag.collection);

export function parseFlatYaml(source: string): FlatEntry[] {
  const text = source.replace(/^\uFEFF/, '');
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    customTags: pyyamlTags,
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    lineCounter: lines,
  });
  const lineOf = (offset: number) => lines.linePos(offset).line;
  const [error] = doc.errors;
  if (error !== undefined) throw libraryError(error, text, doc, lineOf);

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null && root.source === '')) return [];
  const rootLine = lineOf(root.range[0]);
  if (isSeq(root)) {
    throw new FlatYamlError(rootLine, root.flow ? "a name cannot start with '[' unless quoted" : 'a list is not a policy file: write "name": "rule" lines');
  }
  if (!isMap(root)) throw new FlatYamlError(rootLine, 'expected "name": "rule"');
  if (root.flow) {
    if (root.items.length === 0) return [];
    throw new FlatYamlError(rootLine, "a name cannot start with '{' unless quoted");
  }
  if (/^[ \t]/.test(text.slice(lines.lineStarts[rootLine - 1]))) throw new FlatYamlError(rootLine, `unexpected indentation: ${FLAT}`);

  const entries: FlatEntry[] = [];
  const seen = new Map<string, number>();
  for (const pair of root.items) {
    const line = isNode(pair.key) ? lineOf(pair.key.range[0]) : rootLine;
    const key = nameOf(pair, line);
    const first = seen.get(key);
    if (first !== undefined) throw new FlatYamlError(line, `duplicate rule '${key}' (first on line ${first})`);
    seen.set(key, line);
    entries.push({ key, value: valueOf(pair.value, key, line), line });
  }
  return entries;
}

const isNode = (value: unknown): value is Node => isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);

/** The character that starts a node's anchor, tag or alias, if it has one. */
function decoration(node: Node): '&' | '!' | '*' | undefined {
  if (isAlias(node)) return '*';
  if (node.anchor !== undefined) return '&';
  if (node.tag !== undefined) return '!';
  return undefined;
}

function nameOf(pair: Pair, line: number): string {
  const { key } = pair;
  if (!isNode(key)) throw new FlatYamlError(line, 'expected "name": "rule"');
  const mark = decoration(key);
  if (mark !== undefined) throw new FlatYamlError(line, `a name cannot start with '${mark}' unless quoted`);
  if (!isScalar(key) || key.type === 'BLOCK_LITERAL' || key.type === 'BLOCK_FOLDED') throw new FlatYamlError(line, `a name must be a string: ${FLAT}`);
  // A plain name is its text, whatever YAML would make of it (`1`, `yes`).
  return key.type === 'PLAIN' ? (key.source ?? String(key.value)) : String(key.value);
}

function valueOf(node: unknown, key: string, line: number): string {
  const missing = () => new FlatYamlError(line, `rule '${key}' has no value (write "" for a rule that allows everyone)`);
  if (!isNode(node)) throw missing();
  const mark = decoration(node);
  if (mark !== undefined) throw new FlatYamlError(line, `'${mark}' cannot start a plain YAML value: quote the rule of '${key}' ("${mark}...")`);
  if (isSeq(node) || isMap(node)) throw new FlatYamlError(line, `the value of '${key}' must be a string, not a ${isSeq(node) ? 'list' : 'mapping'}`);
  if (!isScalar(node)) throw missing();
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    throw new FlatYamlError(line, `block scalars (| and >) are not supported: quote the rule of '${key}'`);
  }
  if (node.value === null && node.source === '') throw missing();
  if (typeof node.value !== 'string') throw new FlatYamlError(line, `YAML reads the value of '${key}' (${node.source ?? String(node.value)}) as a non-string: quote it`);
  return node.value;
}

/**
 * What YAML refused, said for a policy file, on the line of the rule it
 * concerns (a tab, on its own line).
 */
function libraryError(error: YAMLError, text: string, doc: Document, lineOf: (offset: number) => number): FlatYamlError {
  const offset = error.pos[0];
  const entry = isMap(doc.contents) ? entryAt(doc.contents.items, offset) : undefined;
  const line = entry === undefined || error.code === 'TAB_AS_INDENT' ? lineOf(offset) : lineOf(entry.keyStart);
  const of = entry === undefined ? '' : ` of '${entry.key}'`;
  const fail = (reason: string) => new FlatYamlError(line, reason);
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return fail('tabs are not allowed in indentation');
    case 'BAD_SCALAR_START': {
      const start = text[offset] ?? '';
      return fail(`'${start}' cannot start a plain YAML value: quote the rule${of} ("${start}...")`);
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return fail(`YAML reads ': ' or a final ':' in the value${of} as a mapping: quote it`);
    case 'BAD_DQ_ESCAPE':
      return fail(`unsupported escape '${/escape sequence (\S+)/.exec(error.message)?.[1] ?? ''}' in a double-quoted string`);
    case 'MULTIPLE_DOCS':
      return fail("a policy file is one YAML document: remove the second '---'");
    case 'MISSING_CHAR': {
      const quote = /Missing closing (["'])quote/.exec(error.message)?.[1];
      if (quote !== undefined) return fail(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`);
      break;
    }
    case 'BAD_INDENT':
    case 'UNEXPECTED_TOKEN': {
      if (/^:\S/.test(text.slice(offset)) || /:\S$/.test(text.slice(Math.max(0, offset - 1), offset + 1))) return fail("expected a space after ':'");
      if (entry?.value !== undefined && entry.value.start <= offset) {
        return fail(`unexpected text after the ${entry.value.quoted ? 'quoted ' : ''}value${of}: ${FLAT}`);
      }
      const lineText = text.slice(text.lastIndexOf('\n', offset - 1) + 1);
      if (lineText.startsWith('"') || lineText.startsWith("'")) return fail("expected ':' after the quoted name");
      return fail(`expected "name": "rule": ${FLAT}`);
    }
  }
  return fail(error.message);
}

/** The last rule whose name starts at or before `offset`, as far as YAML read it. */
function entryAt(items: readonly Pair[], offset: number) {
  let found: { key: string; keyStart: number; value: { start: number; quoted: boolean } | undefined } | undefined;
  for (const { key, value } of items) {
    if (!isScalar(key) || key.range === undefined || key.range === null || key.range[0] > offset) continue;
    const quoted = isScalar(value) && (value.type === 'QUOTE_DOUBLE' || value.type === 'QUOTE_SINGLE');
    const start = isNode(value) ? value.range?.[0] : undefined;
    found = { key: String(key.source ?? key.value), keyStart: key.range[0], value: start === undefined ? undefined : { start, quoted } };
  }
  return found;
}

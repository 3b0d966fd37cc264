/**
 * Renders a sample configuration file from option declarations, in the
 * layout oslo-config-generator writes: one block per section ([DEFAULT]
 * first, the others by name), and per option its help, its type, its range
 * or choices, the names it used to have, then the option commented out at its
 * default:
 *
 *   # The port the API server listens on. (port value)
 *   # Minimum value: 1
 *   # Maximum value: 65535
 *   #bind_port = 9696
 *
 * Pure: the same declarations always give the same text, so a test can
 * compare the committed samples with what this writes now.
 */
import { renderValue } from './convert.js';
import type { OptDecl, OptionGroup, OptType } from './types.js';

/** One sample file: its name under etc/, what it is for, and the option groups it shows. */
export interface SampleFile {
  /** `neutron.conf.sample`. */
  readonly name: string;
  /** Where the file goes and who reads it, for the comment at the top. */
  readonly description: string;
  readonly groups: readonly OptionGroup[];
}

/** oslo-config-generator's line width. */
const WIDTH = 79;

/** The declarations of `groups`, each (section, name) once: the first declaration wins, as when loading. */
export function declarationsOf(groups: readonly OptionGroup[]): OptDecl[] {
  const seen = new Set<string>();
  const decls: OptDecl[] = [];
  for (const decl of groups.flat()) {
    const key = `${decl.section}\0${decl.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    decls.push(decl);
  }
  return decls;
}

/** The whole sample file. */
export function renderSample(file: SampleFile, generator: string): string {
  const decls = declarationsOf(file.groups);
  const sections = [...new Set(decls.map((decl) => decl.section))].sort((a, b) =>
    a === 'DEFAULT' ? -1 : b === 'DEFAULT' ? 1 : a.localeCompare(b),
  );
  const lines = [
    ...comment(`${file.name.replace(/\.sample$/, '')}: ${file.description}`),
    ...comment(
      `Generated from the option declarations (src/config/*Options.ts) by ${generator}; ` +
        'do not edit it by hand. Every option is commented out at its default.',
    ),
    '',
  ];
  for (const section of sections) {
    lines.push(`[${section}]`, '');
    for (const decl of decls.filter((d) => d.section === section)) lines.push(...renderOption(decl), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** One option's block, without the blank line after it. */
export function renderOption(decl: OptDecl): string[] {
  const lines = comment(`${decl.help.trim()} (${typeName(decl.type)} value)`);
  lines.push(...constraints(decl.type).map((line) => `# ${line}`));
  for (const old of decl.deprecatedNames ?? []) {
    const [section, name] = typeof old === 'string' ? [decl.section, old] : [old.section, old.name];
    lines.push(`# Deprecated group/name - [${section}]/${name}`);
  }
  lines.push(`#${decl.name} = ${sampleDefault(decl)}`.trimEnd());
  return lines;
}

/** The default as a file would spell it; `<None>` when there is none, as oslo writes it. */
function sampleDefault(decl: OptDecl): string {
  if (decl.sampleDefault !== undefined) return decl.sampleDefault;
  if (decl.default === undefined) return '<None>';
  if (typeof decl.default === 'function') {
    throw new Error(`option [${decl.section}] ${decl.name}: a computed default needs a sampleDefault for the sample files`);
  }
  return renderValue(decl.default);
}

/** oslo's type names where it has one ("string value", "port value"...). */
function typeName(type: OptType): string {
  switch (type.kind) {
    case 'string':
    case 'path':
    case 'integer':
    case 'port':
    case 'boolean':
    case 'list':
    case 'dict':
      return type.kind;
    case 'float':
      return 'floating point';
    case 'enum':
      return 'string';
    case 'mac':
      return 'MAC address';
    case 'url':
      return 'URL';
    default:
      return assertNever(type);
  }
}

/** The lines oslo prints under the help: allowed values and ranges. */
function constraints(type: OptType): string[] {
  switch (type.kind) {
    case 'integer':
    case 'float':
      return [
        ...(type.min === undefined ? [] : [`Minimum value: ${type.min}`]),
        ...(type.max === undefined ? [] : [`Maximum value: ${type.max}`]),
      ];
    case 'port':
      return ['Minimum value: 1', 'Maximum value: 65535'];
    case 'enum':
      return ['Possible values:', ...type.choices];
    case 'url':
      return [`Schemes: ${type.schemes.join(', ')}`];
    case 'mac':
      return ['Six colon-separated hex octets, e.g. fa:16:3e:00:00:00'];
    case 'list':
      return ['Comma-separated'];
    case 'dict':
      return ['Comma-separated key:value pairs'];
    default:
      return [];
  }
}

/** `text` as `# ` lines no wider than oslo's. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`# ${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(`# ${line}`);
  return lines;
}

function assertNever(value: never): never {
  throw new Error(`unhandled option type ${JSON.stringify(value)}`);
}

/**
 * Loads oslo.config-style INI files against option declarations. Layers, from
 * lowest to highest: declared defaults, the caller's overrides, then each
 * file in order (a later file wins). Values are interpolated (`$state_path`)
 * and converted to their declared types. Unknown sections and options are
 * warnings; a bad value or an unreadable file is a ConfigError naming where.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';
import { convertValue, isUnsetValue, renderValue, type AnyValue } from './convert.js';
import { parseIni, type IniEntry, type ParsedIni } from './iniParser.js';
import { interpolate } from './interpolate.js';
import type {
  ConfigOf,
  DeclsOf,
  OptDecl,
  OptionGroup,
  OverridesOf,
  SourcesOf,
  ValueSource,
} from './types.js';

export interface LoadedConfig<D extends OptDecl> {
  /** The typed values: `config.DEFAULT.bind_port` is a number. */
  readonly config: ConfigOf<D>;
  /** Where each value came from. */
  readonly sources: SourcesOf<D>;
  /** One line each: unknown sections and options, deprecated names. */
  readonly warnings: readonly string[];
  /**
   * A ConfigError for a value that is well-formed but unusable (a check the
   * caller makes later), naming the file the value came from.
   */
  errorFor<S extends D['section']>(section: S, option: keyof ConfigOf<D>[S] & string, reason: string): ConfigError;
  /**
   * The value of an option that has no default but that this caller cannot
   * do without (`[database] connection`); throws a ConfigError naming the
   * last file loaded, where the operator would add it, when it is unset.
   */
  required<S extends D['section'], O extends keyof ConfigOf<D>[S] & string>(
    section: S,
    option: O,
  ): NonNullable<ConfigOf<D>[S][O]>;
}

export interface LoadOptions<G extends readonly OptionGroup[]> {
  /** Read and merged in order; a later file wins. */
  readonly files: readonly string[];
  readonly groups: G;
  readonly overrides?: OverridesOf<DeclsOf<G>>;
}

/** Reads `files` and resolves them against `groups`. Throws ConfigError. */
export function loadConfig<const G extends readonly OptionGroup[]>(
  options: LoadOptions<G>,
): LoadedConfig<DeclsOf<G>> {
  const parsed = options.files.map((file) => parseIni(readConfigFile(file), file));
  return resolveConfig({
    parsed,
    groups: options.groups,
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
}

export interface ResolveOptions<G extends readonly OptionGroup[]> {
  /** Already parsed files, in merge order. */
  readonly parsed: readonly ParsedIni[];
  readonly groups: G;
  readonly overrides?: OverridesOf<DeclsOf<G>>;
}

/** The pure part of loadConfig, over files already parsed. Throws ConfigError. */
export function resolveConfig<const G extends readonly OptionGroup[]>(
  options: ResolveOptions<G>,
): LoadedConfig<DeclsOf<G>> {
  const index = indexDeclarations(options.groups);
  const warnings: string[] = [];
  const fileLayers = options.parsed.map((file) => assignFileValues(file, index, warnings));
  const overrides = readOverrides(options.overrides ?? {}, index);

  const resolved = new Map<string, Resolved>();
  const resolving = new Set<string>();

  /** The value of one option, interpolated and converted; memoized, cycle-checked. */
  const resolveDecl = (decl: OptDecl): Resolved => {
    const key = keyOf(decl.section, decl.name);
    const done = resolved.get(key);
    if (done) return done;

    for (const layer of layersOf(decl, fileLayers, overrides.get(key))) {
      const where = layer.source.kind === 'file' ? layer.source : undefined;
      const optionName = where?.name ?? decl.name;
      const fail = (reason: string) => new ConfigError(where?.file, decl.section, optionName, reason);

      if (resolving.has(key)) throw fail(`'${layer.raw}' refers back to itself`);
      resolving.add(key);
      const text = interpolate(layer.raw, (name) => {
        const target = findReferenced(name, decl.section, index);
        return target ? (resolveDecl(target).text ?? '') : undefined;
      });
      resolving.delete(key);
      if (!text.ok) throw fail(text.reason);

      // An empty number, boolean... in a file means "unset": the override or default applies.
      if (isUnsetValue(decl.type, text.value) && layer.source.kind === 'file') continue;

      const converted = convertValue(decl.type, text.value);
      if (!converted.ok) throw fail(converted.reason);
      const result: Resolved = { value: converted.value, text: text.value, source: layer.source };
      resolved.set(key, result);
      return result;
    }
    const unset: Resolved = { value: undefined, text: undefined, source: { kind: 'default' } };
    resolved.set(key, unset);
    return unset;
  };

  const config: Record<string, Record<string, AnyValue | undefined>> = {};
  const sources: Record<string, Record<string, ValueSource>> = {};
  for (const decl of index.decls.values()) {
    const { value, source } = resolveDecl(decl);
    (config[decl.section] ??= {})[decl.name] = value;
    (sources[decl.section] ??= {})[decl.name] = source;
  }

  const lastFile = options.parsed.at(-1)?.file;
  // The records were built from exactly the declarations ConfigOf maps over; TypeScript cannot follow that.
  const typed = config as unknown as ConfigOf<DeclsOf<G>>;
  return {
    config: typed,
    sources: sources as unknown as SourcesOf<DeclsOf<G>>,
    warnings,
    errorFor(section, option, reason) {
      const source = sources[section]?.[option];
      const file = source?.kind === 'file' ? source.file : undefined;
      const name = source?.kind === 'file' ? source.name : option;
      return new ConfigError(file, section, name, reason);
    },
    required(section, option) {
      const value = typed[section][option];
      if (value === undefined || value === null) {
        throw new ConfigError(lastFile, section, option, 'is required but not set');
      }
      return value;
    },
  };
}

/** A missing or unreadable file stops the process, as oslo's ConfigFilesNotFoundError does. */
function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'cannot read the file: permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
    throw new ConfigError(file, undefined, undefined, reason);
  }
}

interface Resolved {
  readonly value: AnyValue | undefined;
  /** The interpolated text, for options that refer to this one; undefined when unset. */
  readonly text: string | undefined;
  readonly source: ValueSource;
}

interface Layer {
  readonly raw: string;
  readonly source: ValueSource;
}

interface DeclIndex {
  /** By `section\0name`. */
  readonly decls: Map<string, OptDecl>;
  /** Deprecated `section\0name` to the declaration it now belongs to. */
  readonly aliases: Map<string, OptDecl>;
  readonly sections: Set<string>;
}

const keyOf = (section: string, name: string) => `${section}\0${name}`;

function indexDeclarations(groups: readonly OptionGroup[]): DeclIndex {
  const decls = new Map<string, OptDecl>();
  const aliases = new Map<string, OptDecl>();
  const sections = new Set<string>();
  for (const decl of groups.flat()) {
    const key = keyOf(decl.section, decl.name);
    const existing = decls.get(key);
    // oslo lets two modules register the same option if the declarations agree; so do we.
    if (existing && JSON.stringify(existing.type) !== JSON.stringify(decl.type)) {
      throw new Error(`option [${decl.section}] ${decl.name} is declared twice with different types`);
    }
    if (existing) continue;
    decls.set(key, decl);
    sections.add(decl.section);
    for (const old of decl.deprecatedNames ?? []) {
      const section = typeof old === 'string' ? decl.section : old.section;
      const name = typeof old === 'string' ? old : old.name;
      aliases.set(keyOf(section, name), decl);
      sections.add(section);
    }
  }
  return { decls, aliases, sections };
}

/**
 * The values one file sets, by declaration key. Within a file the last
 * occurrence of a name wins, and the current name wins over a deprecated one
 * (oslo looks up the current name first in each file).
 */
function assignFileValues(file: ParsedIni, index: DeclIndex, warnings: string[]): Map<string, Layer> {
  const current = new Map<string, IniEntry>();
  const deprecated = new Map<string, IniEntry>();
  const warnedSections = new Set<string>();
  for (const entry of file.entries) {
    const key = keyOf(entry.section, entry.name);
    const decl = index.decls.get(key);
    if (decl) {
      current.set(key, entry);
      continue;
    }
    const target = index.aliases.get(key);
    if (target) {
      deprecated.set(keyOf(target.section, target.name), entry);
      warnings.push(
        `${file.file}: [${entry.section}] ${entry.name}: deprecated name, use [${target.section}] ${target.name} (line ${entry.line})`,
      );
      continue;
    }
    // A section that only holds comments is common in distribution files, so only sections with options warn.
    if (!index.sections.has(entry.section)) {
      if (!warnedSections.has(entry.section)) {
        warnedSections.add(entry.section);
        warnings.push(`${file.file}: [${entry.section}]: unknown section, ignored (line ${entry.line})`);
      }
      continue;
    }
    warnings.push(`${file.file}: [${entry.section}] ${entry.name}: unknown option, ignored (line ${entry.line})`);
  }
  const layers = new Map<string, Layer>();
  for (const [key, entry] of [...deprecated, ...current]) {
    layers.set(key, {
      raw: entry.value,
      source: { kind: 'file', file: file.file, line: entry.line, name: entry.name },
    });
  }
  return layers;
}

/** Overrides as layers; an override of an undeclared option is a programming error, so it throws. */
function readOverrides(overrides: object, index: DeclIndex): Map<string, Layer> {
  const layers = new Map<string, Layer>();
  for (const [section, options] of Object.entries(overrides)) {
    if (typeof options !== 'object' || options === null) continue;
    for (const [name, value] of Object.entries(options as Record<string, AnyValue | undefined>)) {
      if (value === undefined) continue;
      if (!index.decls.has(keyOf(section, name))) {
        throw new ConfigError(undefined, section, name, 'override of an option that is not declared');
      }
      layers.set(keyOf(section, name), { raw: renderValue(value), source: { kind: 'override' } });
    }
  }
  return layers;
}

/**
 * The layers that may give `decl` its value, highest first: the last file
 * that sets it, then the override or else the default. Lazy, so a computed
 * default (the host name) is computed only when no layer above sets it.
 */
function* layersOf(decl: OptDecl, files: readonly Map<string, Layer>[], override: Layer | undefined): Generator<Layer> {
  const key = keyOf(decl.section, decl.name);
  const fromFile = [...files].reverse().find((layers) => layers.has(key))?.get(key);
  if (fromFile) yield fromFile;
  if (override) {
    yield override;
  } else if (decl.default !== undefined) {
    const value: AnyValue = typeof decl.default === 'function' ? decl.default() : decl.default;
    yield { raw: renderValue(value), source: { kind: 'default' } };
  }
}

/** `${section.name}` names its section; a bare name is looked up in the same section, then DEFAULT. */
function findReferenced(name: string, section: string, index: DeclIndex): OptDecl | undefined {
  const dot = name.indexOf('.');
  if (dot >= 0) return index.decls.get(keyOf(name.slice(0, dot), name.slice(dot + 1)));
  return index.decls.get(keyOf(section, name)) ?? index.decls.get(keyOf('DEFAULT', name));
}

/**
 * oslo-style command-line arguments: `--config-file F` (repeatable, or
 * `--config-file=F`) and `--config-dir D`. Everything else goes back to the
 * caller, which owns its own flags and sub-commands.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../common/errors.js';

/** A config file or directory, in the order given on the command line. */
export type ConfigSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'dir'; readonly path: string };

export interface CommandLine {
  /** In command-line order, which is also the merge order (a later one wins). */
  readonly configSources: readonly ConfigSource[];
  /** Arguments that are not flags, and everything after `--`. */
  readonly positional: readonly string[];
  /**
   * Flags this parser does not know, as written (`--debug`, `--foo=bar`).
   * A value given as a separate word (`--foo bar`) lands in `positional`,
   * since only the caller knows whether its flag takes one.
   */
  readonly unknownFlags: readonly string[];
}

const FLAGS = { '--config-file': 'file', '--config-dir': 'dir' } as const;

function isKnownFlag(name: string): name is keyof typeof FLAGS {
  return Object.hasOwn(FLAGS, name);
}

/** Parses `argv` (without the node and script paths). Pure; throws ConfigError for a flag missing its value. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const configSources: ConfigSource[] = [];
  const positional: string[] = [];
  const unknownFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!isKnownFlag(name)) {
      unknownFlags.push(arg);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') {
      throw new ConfigError('<command line>', undefined, name, 'requires a value');
    }
    configSources.push({ kind: FLAGS[name], path: value });
  }
  return { configSources, positional, unknownFlags };
}

/**
 * The files to load, in merge order: a directory contributes its `*.conf`
 * files, sorted, at its place on the command line (oslo: options in the
 * directory override the files given before it).
 */
export function configFilesOf(
  sources: readonly ConfigSource[],
  listDir: (dir: string) => readonly string[] = readConfigDir,
): string[] {
  return sources.flatMap((source) =>
    source.kind === 'file'
      ? [source.path]
      : listDir(source.path)
          .filter((name) => name.endsWith('.conf'))
          .sort()
          .map((name) => join(source.path, name)),
  );
}

function readConfigDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    const reason =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'ENOTDIR'
          ? 'is not a directory'
          : `cannot read the directory: ${error instanceof Error ? error.message : String(error)}`;
    throw new ConfigError(dir, undefined, undefined, reason);
  }
}

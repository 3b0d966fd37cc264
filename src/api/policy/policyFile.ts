/**
 * `[oslo_policy] policy_file`: a YAML (the flat subset of flatYaml.ts) or
 * JSON map of "rule name": "rule string" that overrides the defaults.
 *
 * A relative path is looked up, as oslo.config's find_file does, in the
 * directories of the configuration files (the first --config-file's first),
 * so `policy.yaml` next to /etc/neutron/neutron.conf is found. The default
 * file may be absent (the defaults apply); a file the operator named must
 * exist. A file that cannot be read, is not a flat map of strings, or holds
 * a malformed rule or a cycle of `rule:` references stops the server with one
 * line naming the file and the rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

import { ConfigError } from '../../common/errors.js';
import type { ValueSource } from '../../config/types.js';
import type { ResourceDecl } from '../../resources/types.js';
import { PolicyCycleError, PolicyEnforcer, type PolicyOverrides } from './enforcer.js';
import { FlatYamlError, parseFlatYaml } from './flatYaml.js';
import { parseRule, type Rule, RuleSyntaxError } from './rule.js';

export interface PolicyFileSetting {
  /** The option's value. */
  readonly value: string;
  /** Set by the operator (in a file or by the command), not the declared default. */
  readonly explicit: boolean;
  /** Where a relative path is looked for, in order: the configuration files' directories. */
  readonly searchDirs: readonly string[];
  /** The error for the option itself, naming the file that set it. */
  readonly errorFor: (reason: string) => Error;
}

/** The setting from the loaded configuration: its value, source and the config files the sources name. */
export function policyFileSetting(
  value: string,
  source: ValueSource,
  configFiles: readonly string[],
  errorFor: (reason: string) => Error,
): PolicyFileSetting {
  const searchDirs = [...new Set(configFiles.map((file) => dirname(resolve(file))))];
  return { value, explicit: source.kind !== 'default', searchDirs, errorFor };
}

/** The configuration files named by the values' sources, in the order they first appear. */
export function configFilesIn(sources: Readonly<Record<string, Readonly<Record<string, ValueSource>>>>): string[] {
  const files = new Set<string>();
  for (const section of Object.values(sources)) {
    for (const source of Object.values(section)) if (source.kind === 'file') files.add(source.file);
  }
  return [...files];
}

/** The file to read, or undefined when the default file is absent. */
export function locatePolicyFile(setting: PolicyFileSetting, exists: (path: string) => boolean = existsSync): string | undefined {
  const { value, explicit } = setting;
  if (value === '') return undefined;
  const candidates = isAbsolute(value)
    ? [value]
    : setting.searchDirs.length > 0
      ? setting.searchDirs.map((dir) => join(dir, value))
      : explicit
        ? [resolve(value)]
        : [];
  const found = candidates.find((path) => exists(path));
  if (found !== undefined || !explicit) return found;
  const where = isAbsolute(value) ? '' : ` (looked in ${candidates.map(dirname).join(', ')})`;
  throw setting.errorFor(`'${value}' does not exist${where}`);
}

/** Reads and parses a policy file. Throws ConfigError naming the file (and the rule). */
export function readPolicyFile(path: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): PolicyOverrides {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new ConfigError(path, undefined, undefined, `cannot be read: ${(err as Error).message}`);
  }
  const rules = new Map<string, Rule>();
  for (const { key, value } of entriesOf(path, text)) {
    try {
      rules.set(key, parseRule(value));
    } catch (err) {
      if (!(err instanceof RuleSyntaxError)) throw err;
      throw new ConfigError(path, undefined, key, `${err.reason} in ${JSON.stringify(value)}`);
    }
  }
  return { source: path, rules };
}

/** The policy in force: the defaults, and the file's rules when there is one. Throws ConfigError. */
export function loadPolicy(
  setting: PolicyFileSetting,
  resources: Iterable<ResourceDecl>,
  options: { readonly enforceNewDefaults?: boolean } = {},
): PolicyEnforcer {
  const path = locatePolicyFile(setting);
  const overrides = path === undefined ? undefined : readPolicyFile(path);
  try {
    return PolicyEnforcer.create({ resources, ...options, ...(overrides ? { overrides } : {}) });
  } catch (err) {
    if (err instanceof PolicyCycleError) throw new ConfigError(path, undefined, undefined, err.message);
    throw err;
  }
}

function entriesOf(path: string, text: string): { key: string; value: string }[] {
  if (text.trimStart().startsWith('{') && !/^\s*\{\s*\}\s*(#.*)?$/.test(text.trim())) return jsonEntries(path, text);
  try {
    return parseFlatYaml(text);
  } catch (err) {
    if (!(err instanceof FlatYamlError)) throw err;
    throw new ConfigError(path, undefined, undefined, err.message);
  }
}

function jsonEntries(path: string, text: string): { key: string; value: string }[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, undefined, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(path, undefined, undefined, 'must be a map of "rule name": "rule string"');
  }
  return Object.entries(data).map(([key, value]) => {
    if (typeof value !== 'string') throw new ConfigError(path, undefined, key, 'the rule must be a string');
    return { key, value };
  });
}

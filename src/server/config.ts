/** Reads the command line's --config-file / --config-dir and the configuration they name, for every command. */
import { parseCommandLine, configFilesOf } from '../config/commandLine.js';
import { loadConfig } from '../config/load.js';
import { neutronOptionGroups } from '../config/neutronOptions.js';
import type { OverridesOf, DeclsOf } from '../config/types.js';

export type NeutronOverrides = OverridesOf<DeclsOf<typeof neutronOptionGroups>>;

export function loadNeutronConfig(argv: readonly string[], overrides?: NeutronOverrides) {
  const commandLine = parseCommandLine(argv);
  const files = configFilesOf(commandLine.configSources);
  const loaded = loadConfig({ files, groups: neutronOptionGroups, ...(overrides ? { overrides } : {}) });
  return { commandLine, files, loaded };
}

export type LoadedNeutronConfig = ReturnType<typeof loadNeutronConfig>['loaded'];

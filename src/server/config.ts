/** Reads the command line's --config-file / --config-dir and the configuration they name, for every command. */
import { parseCommandLine, configFilesOf } from '../config/commandLine.js';
import { loadConfig } from '../config/load.js';
import { loggingOptions } from '../config/loggingOptions.js';
import { serverMetricsOptions } from '../config/metricsOptions.js';
import { ml2Options } from '../config/ml2Options.js';
import { neutronOptionGroups } from '../config/neutronOptions.js';
import { rpcOptions } from '../config/rpcOptions.js';
import { securityGroupOptions } from '../config/securityGroupOptions.js';
import type { OverridesOf, DeclsOf } from '../config/types.js';
import { uiOptions } from '../config/uiOptions.js';

/**
 * Everything the server reads: neutron.conf (with the bus, logging, metrics and [ui] options) and ml2_conf.ini
 * (with [securitygroup]), given as --config-file in any order. The agents read these too (agentProcess.ts).
 */
export const serverOptionGroups = [...neutronOptionGroups, rpcOptions, loggingOptions, serverMetricsOptions, ml2Options, securityGroupOptions, uiOptions] as const;

export type NeutronOverrides = OverridesOf<DeclsOf<typeof serverOptionGroups>>;

export function loadNeutronConfig(argv: readonly string[], overrides?: NeutronOverrides) {
  const commandLine = parseCommandLine(argv);
  const files = configFilesOf(commandLine.configSources);
  const loaded = loadConfig({ files, groups: serverOptionGroups, ...(overrides ? { overrides } : {}) });
  return { commandLine, files, loaded };
}

export type LoadedNeutronConfig = ReturnType<typeof loadNeutronConfig>['loaded'];

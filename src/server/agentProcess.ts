/**
 * What every agent command shares (nucleon-linuxbridge-agent,
 * nucleon-dhcp-agent, nucleon-metadata-agent): `--config-file` / `--config-dir`
 * like the server, `--dry-run` to print one pass's plan and exit, the bus from
 * `[DEFAULT] transport_url`, a logger (oslo.log's options, logger.ts), the
 * metrics listener when `[agent] metrics_listen` is set, and a clean stop on
 * SIGTERM/SIGINT.
 *
 *   runAgentProcess({ name, groups, settings: (loaded) => ..., start: ({ settings, bus, log }) => ..., dryRun: ... }, argv)
 */
import { parseCommandLine, configFilesOf } from '../config/commandLine.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { agentOptions } from '../config/agentOptions.js';
import { agentMetricsOptions } from '../config/metricsOptions.js';
import type { Registry } from 'prom-client';
import { processReconcilerMetrics } from '../agents/common/reconcilerMetrics.js';
import { metricsSource, newRegistry } from '../common/metrics.js';
import type { DeclsOf, OptionGroup } from '../config/types.js';
import { ConfigError } from '../common/errors.js';
import type { Bus } from '../rpc/bus.js';
import { busOptionsFromConfig, openBus } from '../rpc/connect.js';
import { serverOptionGroups } from './config.js';
import { createLogger, loggingSettings, type Logger } from './logger.js';
import { MeteredBus } from './meteredBus.js';
import { startMetricsListener } from './metricsListener.js';
import { RpcMetrics } from './rpcMetrics.js';
import { agentMetricsSettings } from './metricsSettings.js';

/** The agent options and neutron.conf's, so a shared neutron.conf loads without "unknown option" warnings. */
export const agentBaseGroups = [...serverOptionGroups, agentOptions, agentMetricsOptions] as const;

export type AgentConfigOf<G extends readonly OptionGroup[]> = LoadedConfig<DeclsOf<readonly [...typeof agentBaseGroups, ...G]>>;

export interface RunningAgent {
  stop(): Promise<void>;
}

export interface AgentStartContext<S> {
  readonly settings: S;
  readonly bus: Bus;
  readonly log: Logger;
  /** The registry /metrics serves, when [agent] metrics_listen is set: the agent may add its own metrics (dnsmasq reloads). */
  readonly metrics?: Registry;
}

/** Loads an agent's configuration from argv: `--config-file`/`--config-dir`, `--dry-run`. Throws ConfigError. */
export function loadAgentConfig<const G extends readonly OptionGroup[]>(name: string, argv: readonly string[], groups: G) {
  const dryRun = argv.includes('--dry-run');
  const commandLine = parseCommandLine(argv.filter((arg) => arg !== '--dry-run'));
  const unexpected = [...commandLine.unknownFlags, ...commandLine.positional];
  if (unexpected.length > 0) {
    throw new ConfigError('<command line>', undefined, undefined, `${name}: unexpected ${unexpected.join(' ')} (usage: ${name} --config-file FILE ... [--dry-run])`);
  }
  const files = configFilesOf(commandLine.configSources);
  const loaded = loadConfig({ files, groups: [...agentBaseGroups, ...groups] }) as AgentConfigOf<G>;
  return { loaded, files, dryRun };
}

export interface AgentProcessSpec<G extends readonly OptionGroup[], S> {
  readonly name: string;
  readonly groups: G;
  /** The agent's typed settings; throws ConfigError, so a bad option stops the command before it waits for the broker. */
  readonly settings: (loaded: AgentConfigOf<G>) => S;
  /** Starts the agent (reports, loops, servers) and returns how to stop it. */
  readonly start: (context: AgentStartContext<S>) => Promise<RunningAgent>;
  /** Computes one pass's plan and prints it, changing nothing. */
  readonly dryRun: (context: AgentStartContext<S>) => Promise<readonly string[]>;
}

/** The whole life of an agent command; the bus is RabbitMQ from transport_url (an agent alone cannot use the in-process bus). */
export async function runAgentProcess<const G extends readonly OptionGroup[], S>(spec: AgentProcessSpec<G, S>, argv: readonly string[]): Promise<number> {
  const { loaded, dryRun } = loadAgentConfig(spec.name, argv, spec.groups);
  const config = loaded.config as unknown as Parameters<typeof busOptionsFromConfig>[0] & { DEFAULT: { transport_url?: string; debug: boolean } };
  const transportUrl = config.DEFAULT.transport_url;
  if (transportUrl === undefined || transportUrl.trim() === '') {
    throw new ConfigError(undefined, 'DEFAULT', 'transport_url', `${spec.name} talks to the server over RabbitMQ: set transport_url (rabbit://user:pass@host:5672/)`);
  }
  const settings = spec.settings(loaded);
  // The base groups hold these options whatever G is; TypeScript cannot follow that through the generic.
  const metricsSettings = agentMetricsSettings(loaded as unknown as Parameters<typeof agentMetricsSettings>[0]);
  const log = createLogger(spec.name, loggingSettings(loaded as unknown as Parameters<typeof loggingSettings>[0], spec.name));
  for (const warning of loaded.warnings) log.warn(warning);
  // With a metrics listener: the reconcilers', the bus's (calls timed, reconnects counted), the process's.
  const registry = metricsSettings.listen && !dryRun ? newRegistry({ processMetrics: metricsSettings.processMetrics }) : undefined;
  const rpcMetrics = registry ? new RpcMetrics(registry) : undefined;
  if (registry) processReconcilerMetrics.register(registry);
  const bus = await openBus(transportUrl, { ...busOptionsFromConfig(config), ...rpcMetrics?.busOptions }, log);
  if (dryRun) {
    try {
      const plan = await spec.dryRun({ settings, bus, log });
      process.stdout.write(plan.length === 0 ? 'nothing to change\n' : `${plan.join('\n')}\n`);
    } finally {
      await bus.close();
    }
    return 0;
  }
  const agentBus = rpcMetrics ? new MeteredBus(bus, rpcMetrics) : bus;
  const agent = await spec.start({ settings, bus: agentBus, log, ...(registry ? { metrics: registry } : {}) });
  const listener = metricsSettings.listen && registry ? await startMetricsListener(metricsSettings.listen, metricsSource(registry), log) : undefined;
  log.info({ pid: process.pid }, `${spec.name} started`);
  const stop = () =>
    void agent
      .stop()
      .then(() => listener?.close())
      .then(() => bus.close())
      .finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return 0;
}

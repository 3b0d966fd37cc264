/**
 * The all-in-one: the API server and, when this machine lets them run, the
 * four agents (Linux bridge, DHCP, metadata, L3) in one process on the
 * in-process bus, with defaults that give working tenant networks and
 * routers on a machine with nothing but a loopback interface:
 *
 *   SQLite under the state directory, 127.0.0.1:9696, noauth, the router
 *   service plugin;
 *   `local` tenant networks bound by the linuxbridge mechanism driver (a
 *   bridge per network on this host, no uplink, no VXLAN);
 *   an external network `public` on the bridge br-ex, where this host is
 *   172.24.4.1 (publicNetwork.ts);
 *   isolated metadata on every DHCP network; no Nova (the metadata address
 *   answers a 404 JSON) unless nova_metadata_host is configured.
 *
 * Configuration files given with --config-file override every default.
 * Without root, or without ip/bridge/dnsmasq/haproxy, it serves the API only
 * and says why.
 */
import { join } from 'node:path';

import { agentOptions } from '../config/agentOptions.js';
import { parseCommandLine, configFilesOf } from '../config/commandLine.js';
import { dhcpAgentOptions } from '../config/dhcpAgentOptions.js';
import { linuxbridgeAgentOptions } from '../config/linuxbridgeAgentOptions.js';
import { loadConfig } from '../config/load.js';
import { metadataAgentOptions } from '../config/metadataAgentOptions.js';
import { l3AgentOptions } from '../config/l3AgentOptions.js';
import { L3Agent } from '../agents/l3/l3Agent.js';
import { l3AgentSettings } from '../agents/l3/settings.js';
import { isRoot, missingPrograms } from '../host/tools.js';
import type { Bus } from '../rpc/bus.js';
import { openBus } from '../rpc/connect.js';
import { startApiServer } from './apiServer.js';
import { serverOptionGroups } from './config.js';
import { dhcpAgentSettings, startDhcpAgent } from './dhcpAgent.js';
import { linuxBridgeAgentSettings, startLinuxBridgeAgent } from './linuxbridgeAgent.js';
import { loggingSettings, type Logger, type LoggingSettings } from './logger.js';
import { registerDnsmasqMetrics } from './dnsmasqMetrics.js';
import { agentMetricsOptions } from '../config/metricsOptions.js';
import { metadataAgentSettings, startMetadataAgent } from './metadataAgent.js';
import { ensurePublicBridge, ensurePublicNetwork, PUBLIC } from './publicNetwork.js';

/** Everything the one process reads: the server's options and the four agents'. */
const allInOneGroups = [
  ...serverOptionGroups,
  agentOptions,
  agentMetricsOptions,
  linuxbridgeAgentOptions,
  dhcpAgentOptions,
  metadataAgentOptions,
  l3AgentOptions,
] as const;

/** The programs the agents drive. */
const AGENT_PROGRAMS = ['ip', 'bridge', 'dnsmasq', 'haproxy', 'nft'] as const;

export interface AllInOneOptions {
  readonly stateDir: string;
  /** --config-file / --config-dir arguments. */
  readonly argv: readonly string[];
  /** --api-only: do not start the agents even where they could run. */
  readonly apiOnly: boolean;
}

export interface RunningAllInOne {
  readonly url: string;
  /** Why the agents are not running; undefined when they are. */
  readonly agentsOff?: string;
  stop(): Promise<void>;
}

/** Why the agents cannot run on this machine, or undefined when they can. */
async function agentsUnavailable(apiOnly: boolean): Promise<string | undefined> {
  if (apiOnly) return '--api-only was given';
  if (!isRoot()) return `the agents create namespaces, bridges and devices, which needs root (running as uid ${process.getuid?.()})`;
  const missing = await missingPrograms(AGENT_PROGRAMS, process.env.PATH);
  if (missing.length > 0) return `${missing.join(', ')} not found on PATH (Debian: apt-get install iproute2 dnsmasq-base haproxy nftables)`;
  return undefined;
}

/** Files override these defaults; with agents: linuxbridge binding, no VXLAN, isolated metadata, `public` on br-ex, security groups enforced. */
function loadAllInOneConfig(stateDir: string, argv: readonly string[], withAgents: boolean) {
  return loadConfig({
    files: configFilesOf(parseCommandLine(argv).configSources),
    groups: allInOneGroups,
    overrides: {
      DEFAULT: {
        bind_host: '127.0.0.1',
        auth_strategy: 'noauth',
        state_path: stateDir,
        service_plugins: ['router'],
        ...(withAgents ? { enable_isolated_metadata: true, interface_driver: 'linuxbridge' } : {}),
      },
      database: { connection: `sqlite:///${join(stateDir, 'nucleon.sqlite')}` },
      ...(withAgents
        ? {
            ml2: { mechanism_drivers: ['linuxbridge'] },
            vxlan: { enable_vxlan: false },
            linux_bridge: { bridge_mappings: { [PUBLIC.physnet]: PUBLIC.bridge } },
            // Security groups enforced, as a cloud built by the book does.
            securitygroup: { firewall_driver: 'iptables' },
          }
        : {}),
    },
  });
}

/** `log`: the process's logger from oslo.log's options (logger.ts); the agents log through it, named by a child field. */
export async function startAllInOne(options: AllInOneOptions, log: (settings: LoggingSettings) => Logger): Promise<RunningAllInOne> {
  const agentsOff = await agentsUnavailable(options.apiOnly);
  const loaded = loadAllInOneConfig(options.stateDir, options.argv, agentsOff === undefined);
  const logger = log(loggingSettings(loaded, 'nucleon'));
  for (const warning of loaded.warnings) logger.warn(warning);

  // Settings first: a bad agent option stops the process before anything starts.
  const agentSettings =
    agentsOff === undefined
      ? {
          linuxbridge: linuxBridgeAgentSettings(loaded),
          dhcp: dhcpAgentSettings(loaded),
          metadata: metadataAgentSettings(loaded, { novaOnlyWhenSet: true }),
          l3: l3AgentSettings(loaded),
        }
      : undefined;
  // The public network only where br-ex is still what `public` maps to, and the API can be asked as an admin without a token.
  const withPublic =
    agentSettings !== undefined && loaded.config.linux_bridge.bridge_mappings[PUBLIC.physnet] === PUBLIC.bridge && loaded.config.DEFAULT.auth_strategy === 'noauth';

  const bus: Bus = await openBus(undefined, {}, logger);
  // The agents' metrics (their reconcilers, dnsmasq) show in the server's /metrics; [agent] metrics_listen is not used here.
  const api = await startApiServer(loaded, logger, { migrate: true, bus, agentsInProcess: agentSettings !== undefined });
  const agents: { stop(): Promise<void> }[] = [];
  try {
    if (agentSettings) {
      if (withPublic) await ensurePublicBridge();
      agents.push(await startMetadataAgent(agentSettings.metadata, bus, logger.child({ agent: 'metadata' })));
      agents.push(await startLinuxBridgeAgent(agentSettings.linuxbridge, bus, logger));
      const dhcp = await startDhcpAgent(agentSettings.dhcp, bus, logger.child({ agent: 'dhcp' }));
      if (api.metrics) registerDnsmasqMetrics(dhcp.counters, api.metrics.registry);
      agents.push(dhcp);
      const l3 = new L3Agent(agentSettings.l3, bus, logger.child({ agent: 'l3' }));
      await l3.start();
      agents.push(l3);
      if (withPublic) await ensurePublicNetwork(api.app, logger);
    }
  } catch (err) {
    for (const agent of agents.reverse()) await agent.stop();
    await api.close();
    await bus.close();
    throw err;
  }
  return {
    url: api.url,
    ...(agentsOff === undefined ? {} : { agentsOff }),
    stop: async () => {
      // The dataplane (bridges, taps, dnsmasq, haproxy) stays: VMs keep working while the process restarts.
      for (const agent of agents.reverse()) await agent.stop();
      await api.close();
      await bus.close();
    },
  };
}

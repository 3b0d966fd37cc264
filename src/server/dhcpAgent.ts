/**
 * Composition of the DHCP agent: its settings from neutron.conf +
 * dhcp_agent.ini, and the agent started on a bus (RabbitMQ for
 * nucleon-dhcp-agent, the in-process bus for the all-in-one).
 *
 *   const agent = await startDhcpAgent(dhcpAgentSettings(loaded), bus, log);
 *   ...
 *   await agent.stop(); // dnsmasq keeps serving
 */
import { join } from 'node:path';

import { DhcpAgent, type DhcpAgentSettings, type ServedCounts } from '../agents/dhcp/dhcpAgent.js';

export type { DhcpAgentSettings } from '../agents/dhcp/dhcpAgent.js';
import type { DnsmasqCounters } from '../agents/dhcp/applyPlan.js';
import type { ConfigError } from '../common/errors.js';
import { dhcpAgentOptions, INTERFACE_DRIVERS } from '../config/dhcpAgentOptions.js';
import { ovsConnectionOptions } from '../config/openvswitchAgentOptions.js';
import { IpRoute } from '../host/ip.js';
import type { Bus } from '../rpc/bus.js';
import type { Logger } from './logger.js';

/** The option groups the agent adds to agentProcess.ts's base groups. */
export const dhcpAgentGroups = [dhcpAgentOptions, ovsConnectionOptions] as const;

/**
 * The values the DHCP agent reads, structurally: what loadAgentConfig gives
 * nucleon-dhcp-agent (AgentConfigOf<typeof dhcpAgentGroups>) and what a
 * process loading more groups (the all-in-one) gives both fit.
 */
export interface DhcpAgentConfig {
  readonly config: {
    readonly DEFAULT: {
      readonly host: string;
      readonly state_path: string;
      readonly dhcp_lease_duration: number;
      readonly dns_domain: string;
      readonly metadata_proxy_socket: string;
      readonly interface_driver?: string | undefined;
      readonly dhcp_driver: string;
      readonly resync_interval: number;
      readonly enable_isolated_metadata: boolean;
      readonly force_metadata: boolean;
      readonly enable_metadata_network: boolean;
      readonly dhcp_confs: string;
      readonly dnsmasq_config_file: string;
      readonly dnsmasq_dns_servers: readonly string[];
      readonly dnsmasq_base_log_dir?: string | undefined;
      readonly dnsmasq_local_resolv: boolean;
      readonly dnsmasq_lease_max: number;
      readonly dhcp_broadcast_reply: boolean;
    };
    readonly agent: { readonly report_interval: number; readonly availability_zone: string; readonly log_agent_heartbeats: boolean };
    /** [ovs] integration_bridge and ovsdb_connection, read with interface_driver openvswitch (absent: Open vSwitch's defaults). */
    readonly ovs?: { readonly integration_bridge: string; readonly ovsdb_connection: string };
  };
  /** A ConfigError naming the file the option came from. */
  errorFor(section: 'DEFAULT', option: 'interface_driver' | 'dhcp_driver', reason: string): ConfigError;
}

/** A notification waits this long for more before the pass starts: a burst of port creates becomes a few passes. */
export const DHCP_SETTLE_MS = 150;

/** Port notifications update the agent's cache; everything is fetched again at least this often. */
export const DHCP_FULL_RESYNC_MS = 60_000;

/** The agent's settings; a ConfigError for an interface driver or dhcp driver the agent cannot run. */
export function dhcpAgentSettings(loaded: DhcpAgentConfig): DhcpAgentSettings {
  const d = loaded.config.DEFAULT;
  const driver = d.interface_driver ?? 'linuxbridge';
  if (INTERFACE_DRIVERS[driver] === undefined) {
    throw loaded.errorFor('DEFAULT', 'interface_driver', `unknown interface driver ${JSON.stringify(driver)} (use ${Object.keys(INTERFACE_DRIVERS).join(', ')})`);
  }
  if (!/(^|\.)dnsmasq$/i.test(d.dhcp_driver)) {
    throw loaded.errorFor('DEFAULT', 'dhcp_driver', `only dnsmasq is implemented (neutron.agent.linux.dhcp.Dnsmasq), not ${JSON.stringify(d.dhcp_driver)}`);
  }
  const ovs = loaded.config.ovs;
  return {
    host: d.host,
    ...(INTERFACE_DRIVERS[driver] === 'openvswitch'
      ? { ovs: { bridge: ovs?.integration_bridge ?? 'br-int', connection: ovs?.ovsdb_connection ?? 'unix:/var/run/openvswitch/db.sock' } }
      : {}),
    dhcpConfs: d.dhcp_confs,
    files: { dnsDomain: d.dns_domain, enableIsolatedMetadata: d.enable_isolated_metadata, forceMetadata: d.force_metadata },
    command: {
      leaseDuration: d.dhcp_lease_duration,
      dnsServers: d.dnsmasq_dns_servers,
      localResolv: d.dnsmasq_local_resolv,
      leaseMax: d.dnsmasq_lease_max,
      configFile: d.dnsmasq_config_file,
      dnsDomain: d.dns_domain,
      broadcastReply: d.dhcp_broadcast_reply,
      ...(d.dnsmasq_base_log_dir ? { baseLogDir: d.dnsmasq_base_log_dir } : {}),
    },
    metadata: {
      enableIsolatedMetadata: d.enable_isolated_metadata,
      forceMetadata: d.force_metadata,
      enableMetadataNetwork: d.enable_metadata_network,
    },
    metadataProxySocket: d.metadata_proxy_socket,
    metadataStateDir: join(d.state_path, 'ns-metadata-proxy'),
    resyncIntervalMs: d.resync_interval * 1000,
    settleMs: DHCP_SETTLE_MS,
    reportIntervalMs: loaded.config.agent.report_interval * 1000,
    availabilityZone: loaded.config.agent.availability_zone,
    logAgentHeartbeats: loaded.config.agent.log_agent_heartbeats,
    dhcpDriver: d.dhcp_driver,
    leaseDuration: d.dhcp_lease_duration,
    fullResyncIntervalMs: DHCP_FULL_RESYNC_MS,
  };
}

export interface RunningDhcpAgent {
  /** Stops serving notifications and reporting; dnsmasq and haproxy keep running. */
  stop(): Promise<void>;
  /** Resolves after a full pass that started after the call. */
  sync(): Promise<void>;
  /** What one pass would change (nothing is changed). */
  plan(): Promise<string[]>;
  readonly counters: Readonly<DnsmasqCounters>;
  readonly passes: number;
  /** How many passes fetched every network from the server (the others used port notifications). */
  readonly fullFetches: number;
  readonly served: ServedCounts;
}

/** Starts the DHCP agent: serves dhcp_agent.<host>, reports state, runs its first pass at once. */
export async function startDhcpAgent(settings: DhcpAgentSettings, bus: Bus, log: Logger, host: IpRoute = new IpRoute()): Promise<RunningDhcpAgent> {
  const agent = new DhcpAgent(settings, bus, log, host);
  await agent.start();
  return {
    stop: () => agent.stop(),
    sync: () => agent.sync(),
    plan: () => agent.plan(),
    counters: agent.counters,
    get passes() {
      return agent.passes;
    },
    get fullFetches() {
      return agent.fullFetches;
    },
    get served() {
      return agent.servedCounts;
    },
  };
}

/** For --dry-run: the plan of one pass, without serving, reporting or changing anything. */
export function planDhcpAgent(settings: DhcpAgentSettings, bus: Bus, log: Logger, host: IpRoute = new IpRoute()): Promise<string[]> {
  return new DhcpAgent(settings, bus, log, host).plan();
}

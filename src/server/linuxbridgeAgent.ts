/**
 * Composition of the Linux bridge agent: typed settings from the loaded
 * configuration (every bad value stops the process naming file, section and
 * option), the agent started on a bus and a namespace, and its dry run.
 *
 *   const settings = linuxBridgeAgentSettings(loaded);
 *   const agent = await startLinuxBridgeAgent(settings, bus, log);          // the current namespace
 *   const agent = await startLinuxBridgeAgent(settings, bus, log, new IpRoute('h1'));
 *   await agent.sync();  ...  await agent.stop();                           // the dataplane stays
 */
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';

import { type L2Host, LinuxBridgeAgent, type LinuxBridgeAgentOptions } from '../agents/l2/linuxBridgeAgent.js';
import type { LinuxBridgeAgentSettings } from '../agents/l2/settings.js';
import { linuxbridgeAgentOptions } from '../config/linuxbridgeAgentOptions.js';
import { linuxBridgeFirewall, securityGroupOptions } from '../config/securityGroupOptions.js';
import { IpRoute } from '../host/ip.js';
import type { Bus } from '../rpc/bus.js';
import type { ConfigError } from '../common/errors.js';

export type { LinuxBridgeAgentSettings } from '../agents/l2/settings.js';

/** The option groups the agent adds to agentProcess.ts's base groups. */
export const linuxbridgeAgentGroups = [linuxbridgeAgentOptions, securityGroupOptions] as const;

/**
 * The values the agent reads, structurally: what loadAgentConfig gives
 * nucleon-linuxbridge-agent (AgentConfigOf<typeof linuxbridgeAgentGroups>)
 * and what a process loading more groups (the all-in-one) gives both fit.
 */
export interface LinuxBridgeAgentConfig {
  readonly config: {
    readonly DEFAULT: { readonly host: string };
    readonly linux_bridge: {
      readonly physical_interface_mappings: Readonly<Record<string, string>>;
      readonly bridge_mappings: Readonly<Record<string, string>>;
    };
    readonly vxlan: {
      readonly enable_vxlan: boolean;
      readonly local_ip?: string | undefined;
      readonly l2_population: boolean;
      readonly arp_responder: boolean;
      readonly ttl?: number | undefined;
      readonly tos?: number | undefined;
      readonly vxlan_group: string;
      readonly udp_dstport: number;
    };
    readonly agent: {
      readonly polling_interval: number;
      readonly report_interval: number;
      readonly availability_zone: string;
      readonly log_agent_heartbeats: boolean;
    };
    readonly securitygroup: { readonly enable_security_group: boolean; readonly firewall_driver: string };
  };
  /** A ConfigError naming the file the option came from. */
  errorFor(
    section: 'linux_bridge' | 'vxlan' | 'securitygroup',
    option: 'physical_interface_mappings' | 'bridge_mappings' | 'local_ip' | 'vxlan_group' | 'arp_responder' | 'firewall_driver',
    reason: string,
  ): ConfigError;
}

export interface RunningLinuxBridgeAgent {
  readonly agent: LinuxBridgeAgent;
  /** Resolves once a full pass that started after the call is done. */
  sync(): Promise<void>;
  /** Stops listening, reporting and looping; bridges, VXLAN devices and taps stay. */
  stop(): Promise<void>;
}

/** A mapping's values must be unique (Neutron: "Value ... in mapping ... not unique"). */
function checkMapping(loaded: LinuxBridgeAgentConfig, option: 'physical_interface_mappings' | 'bridge_mappings', mapping: Readonly<Record<string, string>>): void {
  const seen = new Set<string>();
  for (const [physnet, device] of Object.entries(mapping)) {
    if (physnet === '' || device === '') throw loaded.errorFor('linux_bridge', option, `'${physnet}:${device}' is not a physnet:device pair`);
    if (device.length > 15) throw loaded.errorFor('linux_bridge', option, `device name '${device}' is longer than 15 characters`);
    if (seen.has(device)) throw loaded.errorFor('linux_bridge', option, `device '${device}' is mapped to more than one physical network`);
    seen.add(device);
  }
}

export function linuxBridgeAgentSettings(loaded: LinuxBridgeAgentConfig): LinuxBridgeAgentSettings {
  const { config } = loaded;
  const lb = config.linux_bridge;
  const vx = config.vxlan;
  checkMapping(loaded, 'physical_interface_mappings', lb.physical_interface_mappings);
  checkMapping(loaded, 'bridge_mappings', lb.bridge_mappings);
  for (const physnet of Object.keys(lb.bridge_mappings)) {
    if (physnet in lb.physical_interface_mappings) {
      throw loaded.errorFor('linux_bridge', 'bridge_mappings', `physical network '${physnet}' is also in physical_interface_mappings`);
    }
  }
  let vxlan: LinuxBridgeAgentSettings['vxlan'];
  if (vx.enable_vxlan) {
    const localIp = vx.local_ip?.trim() ?? '';
    // As Neutron's agent: VXLAN on, no VTEP address, no start.
    if (localIp === '') throw loaded.errorFor('vxlan', 'local_ip', 'VXLAN is enabled, a valid local_ip must be provided');
    if (!ipaddr.isValid(localIp)) throw loaded.errorFor('vxlan', 'local_ip', `'${localIp}' is not an IP address`);
    if (!ipaddr.isValid(vx.vxlan_group) || ipaddr.parse(vx.vxlan_group).range() !== 'multicast') {
      throw loaded.errorFor('vxlan', 'vxlan_group', `'${vx.vxlan_group}' is not a multicast address`);
    }
    if (vx.arp_responder && !vx.l2_population) throw loaded.errorFor('vxlan', 'arp_responder', 'needs l2_population = true');
    vxlan = {
      localIp: ipaddr.parse(localIp).toString(),
      l2Population: vx.l2_population,
      arpResponder: vx.arp_responder,
      ...(vx.ttl === undefined ? {} : { ttl: vx.ttl }),
      ...(vx.tos === undefined ? {} : { tos: vx.tos }),
      group: vx.vxlan_group,
      dstPort: vx.udp_dstport,
    };
  }
  const firewall = linuxBridgeFirewall(config.securitygroup.firewall_driver);
  if (typeof firewall !== 'string') throw loaded.errorFor('securitygroup', 'firewall_driver', firewall.error);
  return {
    host: config.DEFAULT.host,
    interfaceMappings: { ...lb.physical_interface_mappings },
    bridgeMappings: { ...lb.bridge_mappings },
    ...(vxlan ? { vxlan } : {}),
    pollingIntervalMs: config.agent.polling_interval * 1000,
    reportIntervalMs: config.agent.report_interval * 1000,
    availabilityZone: config.agent.availability_zone,
    logHeartbeats: config.agent.log_agent_heartbeats,
    // As Neutron's agent: with security groups disabled nothing is filtered, whatever the driver.
    firewall: config.securitygroup.enable_security_group ? firewall : 'noop',
  };
}

/** Starts the agent on `host` (default: the namespace this process runs in): state reports, notifications, the loop. */
export async function startLinuxBridgeAgent(
  settings: LinuxBridgeAgentSettings,
  bus: Bus,
  log: Logger,
  host: L2Host = new IpRoute(),
  options: LinuxBridgeAgentOptions = {},
): Promise<RunningLinuxBridgeAgent> {
  const agent = new LinuxBridgeAgent(settings, bus, log.child({ agent: 'linuxbridge', host: settings.host }), host, options);
  await agent.start();
  return { agent, sync: () => agent.sync(), stop: () => agent.stop() };
}

/** One pass's plan, changing nothing (`--dry-run`): the `nft` script and the `ip` and `bridge` lines it would run. */
export async function planLinuxBridgeAgent(settings: LinuxBridgeAgentSettings, bus: Bus, log: Logger, host: L2Host = new IpRoute()): Promise<string[]> {
  const agent = new LinuxBridgeAgent(settings, bus, log.child({ agent: 'linuxbridge', host: settings.host }), host, { watchLinks: false });
  return agent.dryRun();
}

/**
 * Composition of the Open vSwitch agent: typed settings from the loaded
 * configuration (every bad value stops the process naming file, section and
 * option), the agent started on a bus, and its dry run.
 *
 *   const settings = openvswitchAgentSettings(loaded);
 *   const agent = await startOpenvswitchAgent(settings, bus, log);
 *   await agent.sync();  ...  await agent.stop();          // bridges, ports and flows stay
 */
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';

import { OvsAgent, type OvsAgentOptions } from '../agents/ovs/ovsAgent.js';
import { isTunnelType } from '../agents/ovs/names.js';
import type { OvsAgentSettings } from '../agents/ovs/settings.js';
import { openvswitchAgentOptions } from '../config/openvswitchAgentOptions.js';
import { openvswitchFirewall, securityGroupOptions } from '../config/securityGroupOptions.js';
import type { Bus } from '../rpc/bus.js';
import type { AgentConfigOf } from './agentProcess.js';

export type { OvsAgentSettings } from '../agents/ovs/settings.js';

export const openvswitchAgentGroups = [openvswitchAgentOptions, securityGroupOptions] as const;

export type OpenvswitchAgentConfig = AgentConfigOf<typeof openvswitchAgentGroups>;

const MAX_DEVICE_NAME = 15;

export function openvswitchAgentSettings(loaded: OpenvswitchAgentConfig): OvsAgentSettings {
  const { ovs, agent, securitygroup } = loaded.config;
  for (const option of ['integration_bridge', 'tunnel_bridge', 'int_peer_patch_port', 'tun_peer_patch_port'] as const) {
    const name = ovs[option];
    if (name === '' || name.length > MAX_DEVICE_NAME) throw loaded.errorFor('ovs', option, `'${name}' is not a device name of 1 to ${MAX_DEVICE_NAME} characters`);
  }
  const seen = new Set<string>([ovs.integration_bridge, ovs.tunnel_bridge]);
  for (const [physnet, bridge] of Object.entries(ovs.bridge_mappings)) {
    if (physnet === '' || bridge === '') throw loaded.errorFor('ovs', 'bridge_mappings', `'${physnet}:${bridge}' is not a physnet:bridge pair`);
    if (bridge.length > MAX_DEVICE_NAME) throw loaded.errorFor('ovs', 'bridge_mappings', `bridge name '${bridge}' is longer than ${MAX_DEVICE_NAME} characters`);
    if (seen.has(bridge)) throw loaded.errorFor('ovs', 'bridge_mappings', `bridge '${bridge}' is mapped twice or is the integration or tunnel bridge`);
    seen.add(bridge);
  }
  if (!/^(unix:.+|tcp:.+:\d+|ssl:.+:\d+)$/.test(ovs.ovsdb_connection)) {
    throw loaded.errorFor('ovs', 'ovsdb_connection', `'${ovs.ovsdb_connection}' is not unix:PATH, tcp:IP:PORT or ssl:IP:PORT`);
  }
  const types = agent.tunnel_types.map((t) => t.trim().toLowerCase());
  for (const type of types) if (!isTunnelType(type)) throw loaded.errorFor('agent', 'tunnel_types', `'${type}' is not a tunnel type (vxlan, gre, geneve)`);
  let tunnels: OvsAgentSettings['tunnels'];
  if (types.length > 0) {
    const localIp = ovs.local_ip?.trim() ?? '';
    // As Neutron's agent: tunnelling without an endpoint address does not start.
    if (localIp === '') throw loaded.errorFor('ovs', 'local_ip', 'tunneling is enabled (tunnel_types), a valid local_ip must be provided');
    if (!ipaddr.IPv4.isValidFourPartDecimal(localIp)) throw loaded.errorFor('ovs', 'local_ip', `'${localIp}' is not an IPv4 address`);
    if (agent.arp_responder && !agent.l2_population) throw loaded.errorFor('agent', 'arp_responder', 'needs l2_population = true');
    tunnels = {
      localIp,
      types: [...new Set(types)].filter(isTunnelType),
      vxlanUdpPort: agent.vxlan_udp_port,
      l2Population: agent.l2_population,
      arpResponder: agent.arp_responder,
    };
  }
  // As Neutron's agent: with security groups disabled nothing is filtered, whatever the driver.
  const firewall = openvswitchFirewall(securitygroup.enable_security_group ? securitygroup.firewall_driver : 'noop');
  if (typeof firewall !== 'string') throw loaded.errorFor('securitygroup', 'firewall_driver', firewall.error);
  return {
    host: loaded.config.DEFAULT.host,
    ovsdbConnection: ovs.ovsdb_connection,
    datapathType: ovs.datapath_type,
    integrationBridge: ovs.integration_bridge,
    tunnelBridge: ovs.tunnel_bridge,
    intPeerPatchPort: ovs.int_peer_patch_port,
    tunPeerPatchPort: ovs.tun_peer_patch_port,
    bridgeMappings: { ...ovs.bridge_mappings },
    ...(tunnels ? { tunnels } : {}),
    pollingIntervalMs: agent.polling_interval * 1000,
    reportIntervalMs: agent.report_interval * 1000,
    availabilityZone: agent.availability_zone,
    logHeartbeats: agent.log_agent_heartbeats,
    firewall,
  };
}

export interface RunningOvsAgent {
  readonly agent: OvsAgent;
  sync(): Promise<void>;
  stop(): Promise<void>;
}

/** `options.netns`: the namespace of the host's Linux bridges (iptables_hybrid), default this process's. */
export async function startOpenvswitchAgent(settings: OvsAgentSettings, bus: Bus, log: Logger, options: OvsAgentOptions = {}): Promise<RunningOvsAgent> {
  const agent = new OvsAgent(settings, bus, log.child({ agent: 'openvswitch', host: settings.host }), options);
  await agent.start();
  return { agent, sync: () => agent.sync(), stop: () => agent.stop() };
}

/** One pass's plan, changing nothing (`--dry-run`): the ovs-vsctl and ovs-ofctl lines it would run. */
export function planOpenvswitchAgent(settings: OvsAgentSettings, bus: Bus, log: Logger, options: OvsAgentOptions = {}): Promise<string[]> {
  return new OvsAgent(settings, bus, log.child({ agent: 'openvswitch', host: settings.host }), { ...options, watchInterfaces: false }).dryRun();
}

/**
 * The difference between the desired switch and Open vSwitch as it is, as
 * one `ovs-vsctl` transaction (bridges, ports, tags) and, per bridge, one
 * `ovs-ofctl --bundle add-flows` script (flows). Pure: every case is a table
 * test, and `--dry-run` prints these lines.
 *
 * Existing bridges and ports are reused whenever they fit, so a restarted
 * agent changes nothing on a host that is already right. The flow
 * differences come from `ovs-ofctl diff-flows` (observe.ts), which parses
 * both sides with OVS's own grammar; this module only decides which to act
 * on: flows br-tun learned are never deleted, and while `keepTunnels` holds
 * (a restarted agent whose l2population entries have not come back yet)
 * nothing on br-tun is taken away.
 */
import { BRIDGE_PROTOCOLS, type FlowDifference, type OvsBridge, type OvsPort } from '../../host/ovs.js';
import type { DesiredSwitch } from './desiredSwitch.js';
import { isTunnelType, LEARNED_COOKIE } from './names.js';
import type { OvsAgentSettings } from './settings.js';

export type VsctlCommand = readonly string[];

export interface FlowPlan {
  readonly bridge: string;
  /** add-flows lines: `delete_strict <match>` first, then `add <flow>`. */
  readonly lines: readonly string[];
}

export interface OvsPlan {
  readonly vsctl: readonly VsctlCommand[];
  readonly flows: readonly FlowPlan[];
}

const OTHER_CONFIG_KEYS = ['net_uuid', 'network_type', 'physical_network', 'segmentation_id', 'tag'] as const;

export const planIsEmpty = (plan: OvsPlan): boolean => plan.vsctl.length === 0 && plan.flows.every((f) => f.lines.length === 0);

/** The plan as a person reads it. */
export const planLines = (plan: OvsPlan): string[] => [
  ...plan.vsctl.map((command) => `ovs-vsctl ${command.join(' ')}`),
  ...plan.flows.flatMap((f) => f.lines.map((line) => `ovs-ofctl ${f.bridge} ${line}`)),
];

function bridgeLines(name: string, bridge: OvsBridge | undefined, settings: OvsAgentSettings, create: boolean): VsctlCommand[] {
  const commands: VsctlCommand[] = [];
  if (!bridge) {
    if (!create) return commands;
    commands.push(['--may-exist', 'add-br', name]);
  }
  const changes: string[] = [];
  if (bridge?.datapathType !== settings.datapathType) changes.push(`datapath_type=${settings.datapathType}`);
  if (bridge?.failMode !== 'secure') changes.push('fail_mode=secure');
  if (bridge?.protocols.join(',') !== BRIDGE_PROTOCOLS) changes.push(`protocols=${BRIDGE_PROTOCOLS}`);
  if (changes.length > 0) commands.push(['set', 'bridge', name, ...changes]);
  return commands;
}

const sameMap = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

export function planSwitch(desired: DesiredSwitch, actual: readonly OvsBridge[], settings: OvsAgentSettings, keepTunnels: boolean): VsctlCommand[] {
  const bridges = new Map(actual.map((b) => [b.name, b]));
  const portsByName = new Map<string, { bridge: string; port: OvsPort }>();
  for (const bridge of actual) for (const port of bridge.ports) portsByName.set(port.name, { bridge: bridge.name, port });
  const commands: VsctlCommand[] = [];

  for (const name of desired.ownBridges) commands.push(...bridgeLines(name, bridges.get(name), settings, true));
  for (const bridge of new Set(Object.values(settings.bridgeMappings))) {
    if (bridges.has(bridge)) commands.push(...bridgeLines(bridge, bridges.get(bridge), settings, false));
  }

  const wantedNames = new Set(desired.ports.map((p) => p.name));
  if (!keepTunnels) {
    for (const port of bridges.get(settings.tunnelBridge)?.ports ?? []) {
      const type = port.interfaces[0]?.type ?? '';
      if (isTunnelType(type) && !wantedNames.has(port.name)) commands.push(['--if-exists', 'del-port', settings.tunnelBridge, port.name]);
    }
  }
  for (const want of desired.ports) {
    const found = portsByName.get(want.name);
    const iface = found?.port.interfaces[0];
    if (found && found.bridge === want.bridge && iface?.type === want.type && sameMap(iface.options, want.options)) continue;
    if (found) commands.push(['--if-exists', 'del-port', found.bridge, want.name]);
    commands.push(
      ['add-port', want.bridge, want.name],
      ['set', 'interface', want.name, `type=${want.type}`, ...Object.entries(want.options).map(([k, v]) => `options:${k}=${v}`)],
    );
  }

  for (const vif of desired.vifs) {
    const port = portsByName.get(vif.name)?.port;
    if (!port) continue;
    if (port.tag !== vif.tag) commands.push(['set', 'port', vif.name, `tag=${vif.tag}`]);
    const recorded = Object.fromEntries(OTHER_CONFIG_KEYS.flatMap((k) => (port.otherConfig[k] === undefined ? [] : [[k, port.otherConfig[k]!]])));
    if (sameMap(recorded, vif.otherConfig)) continue;
    if (Object.keys(vif.otherConfig).length === 0) commands.push(['remove', 'port', vif.name, 'other_config', ...Object.keys(recorded)]);
    else commands.push(['set', 'port', vif.name, ...Object.entries(vif.otherConfig).map(([k, v]) => `other_config:${k}=${v}`)]);
  }
  return commands;
}

/** Fields of a printed flow that are not part of its match (a delete names the match and priority only). */
const NOT_MATCH = /^(cookie|duration|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout|importance|reset_counts|send_flow_rem|check_overlap)=/;

function matchOf(flow: string): string {
  const withoutActions = flow.split(' actions=')[0]!;
  return withoutActions
    .split(/[\s,]+/)
    .filter((field) => field !== '' && !NOT_MATCH.test(field))
    .join(',');
}

const isLearned = (flow: string): boolean => flow.split(/[\s,]+/).includes(`cookie=${LEARNED_COOKIE}`);

/** What to do about a bridge's flow differences: delete what the switch has too much, add what it lacks. */
export function planFlows(bridge: string, differences: readonly FlowDifference[], keepExtra: boolean): FlowPlan {
  const deletes = keepExtra ? [] : differences.filter((d) => d.sign === '-' && !isLearned(d.flow)).map((d) => `delete_strict ${matchOf(d.flow)}`);
  const adds = differences.filter((d) => d.sign === '+').map((d) => `add ${d.flow}`);
  return { bridge, lines: [...deletes, ...adds] };
}

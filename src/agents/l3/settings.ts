/**
 * What the L3 agent is told by neutron.conf + l3_agent.ini, typed and
 * checked: an interface driver, agent mode or external bridge it cannot
 * honour stops it with the file, section and option named. With
 * interface_driver openvswitch, [ovs] integration_bridge and
 * ovsdb_connection say where the router ports' taps are plugged.
 */
import { join } from 'node:path';

import type { ConfigError } from '../../common/errors.js';
import type { AGENT_MODES } from '../../config/l3AgentOptions.js';
import { ROUTER_NAMESPACE_PREFIX } from './names.js';
import type { RouterPlanSettings } from './routerPlan.js';

export interface L3AgentSettings extends Omit<RouterPlanSettings, 'hostNetns'> {
  readonly host: string;
  /** As configured (reported in the agent's configurations). */
  readonly interfaceDriver: string;
  readonly handleInternalOnlyRouters: boolean;
  /** The periodic pass: full sync and drift repair. */
  readonly periodicIntervalMs: number;
  /** How long a notification waits for more before the pass starts. */
  readonly settleMs: number;
  readonly reportIntervalMs: number;
  readonly availabilityZone: string;
  readonly logAgentHeartbeats: boolean;
}

/**
 * The values the agent reads, structurally: what loadAgentConfig gives
 * nucleon-l3-agent, and what a process loading more groups gives, both fit.
 */
export interface L3AgentConfig {
  readonly config: {
    readonly DEFAULT: {
      readonly host: string;
      readonly state_path: string;
      readonly metadata_proxy_socket: string;
      readonly interface_driver?: string | undefined;
      readonly agent_mode: (typeof AGENT_MODES)[number];
      readonly handle_internal_only_routers: boolean;
      readonly periodic_interval: number;
      readonly external_network_bridge: string;
      readonly enable_metadata_proxy: boolean;
      readonly metadata_port: number;
    };
    readonly agent: { readonly report_interval: number; readonly availability_zone: string; readonly log_agent_heartbeats: boolean };
    /** [ovs] integration_bridge and ovsdb_connection, read with interface_driver openvswitch (absent: Open vSwitch's defaults). */
    readonly ovs?: { readonly integration_bridge: string; readonly ovsdb_connection: string };
  };
  errorFor(section: 'DEFAULT', option: 'interface_driver' | 'agent_mode' | 'external_network_bridge', reason: string): ConfigError;
}

/** Neutron's names for the two interface drivers (the short alias and the class path). */
const LINUXBRIDGE_DRIVERS = new Set(['linuxbridge', 'neutron.agent.linux.interface.BridgeInterfaceDriver']);
const OPENVSWITCH_DRIVERS = new Set(['openvswitch', 'neutron.agent.linux.interface.OVSInterfaceDriver']);

/** Open vSwitch's defaults for [ovs] integration_bridge and ovsdb_connection, where the process did not load that group. */
const OVS_DEFAULTS = { bridge: 'br-int', connection: 'unix:/var/run/openvswitch/db.sock' } as const;

/** A notification waits this long for more: a burst of router updates becomes one pass. */
export const L3_SETTLE_MS = 100;

export function l3AgentSettings(loaded: L3AgentConfig): L3AgentSettings {
  const d = loaded.config.DEFAULT;
  const driver = d.interface_driver ?? 'linuxbridge';
  const openvswitch = OPENVSWITCH_DRIVERS.has(driver);
  if (!openvswitch && !LINUXBRIDGE_DRIVERS.has(driver)) {
    throw loaded.errorFor(
      'DEFAULT',
      'interface_driver',
      `unknown interface driver ${JSON.stringify(driver)} (use linuxbridge, openvswitch, or their class paths neutron.agent.linux.interface.BridgeInterfaceDriver and OVSInterfaceDriver)`,
    );
  }
  if (d.agent_mode !== 'legacy') {
    throw loaded.errorFor('DEFAULT', 'agent_mode', `${d.agent_mode} (distributed routers) is not implemented; use legacy`);
  }
  if (d.external_network_bridge !== '') {
    throw loaded.errorFor(
      'DEFAULT',
      'external_network_bridge',
      `is deprecated and not supported (${JSON.stringify(d.external_network_bridge)}): leave it empty; the gateway port is plugged into its network's bridge like any port`,
    );
  }
  const ovs = loaded.config.ovs;
  return {
    host: d.host,
    interfaceDriver: driver,
    ...(openvswitch ? { ovs: { bridge: ovs?.integration_bridge ?? OVS_DEFAULTS.bridge, connection: ovs?.ovsdb_connection ?? OVS_DEFAULTS.connection } } : {}),
    handleInternalOnlyRouters: d.handle_internal_only_routers,
    namespacePrefix: ROUTER_NAMESPACE_PREFIX,
    ...(d.enable_metadata_proxy ? { metadataProxy: { port: d.metadata_port, socketPath: d.metadata_proxy_socket } } : {}),
    metadataStateDir: join(d.state_path, 'ns-metadata-proxy'),
    periodicIntervalMs: d.periodic_interval * 1000,
    settleMs: L3_SETTLE_MS,
    reportIntervalMs: loaded.config.agent.report_interval * 1000,
    availabilityZone: loaded.config.agent.availability_zone,
    logAgentHeartbeats: loaded.config.agent.log_agent_heartbeats,
  };
}

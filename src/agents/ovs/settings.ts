/** What the Open vSwitch agent is told by its configuration, typed and already checked (server/openvswitchAgent.ts builds it). */
import type { FirewallKind } from '../../config/securityGroupOptions.js';
import type { TunnelType } from './names.js';

export interface OvsTunnelSettings {
  /** This host's tunnel endpoint (IPv4). */
  readonly localIp: string;
  readonly types: readonly TunnelType[];
  readonly vxlanUdpPort: number;
  readonly l2Population: boolean;
  /** ARP answered in br-tun from the l2population entries (only with l2Population). */
  readonly arpResponder: boolean;
}

export interface OvsAgentSettings {
  /** [DEFAULT] host: the name ports are bound to. */
  readonly host: string;
  readonly ovsdbConnection: string;
  readonly datapathType: 'system' | 'netdev';
  readonly integrationBridge: string;
  readonly tunnelBridge: string;
  readonly intPeerPatchPort: string;
  readonly tunPeerPatchPort: string;
  /** physnet -> an existing OVS bridge holding the uplink. */
  readonly bridgeMappings: Readonly<Record<string, string>>;
  /** Undefined when tunnel_types is empty. */
  readonly tunnels?: OvsTunnelSettings;
  readonly pollingIntervalMs: number;
  readonly reportIntervalMs: number;
  readonly availabilityZone: string;
  readonly logHeartbeats: boolean;
  /** [securitygroup] firewall_driver: iptables_hybrid ('stateful', ports plugged through qbr bridges) or noop. */
  readonly firewall: FirewallKind;
}

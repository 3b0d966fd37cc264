/** What the Linux bridge agent is told by its configuration, typed and already checked (server/linuxbridgeAgent.ts builds it). */
import type { FirewallKind } from '../../config/securityGroupOptions.js';

export interface VxlanSettings {
  /** This host's VTEP address ([vxlan] local_ip). */
  readonly localIp: string;
  /** Unicast with forwarding entries from the server instead of a multicast group. */
  readonly l2Population: boolean;
  /** `proxy` on the VXLAN devices and permanent neighbour entries (only with l2Population). */
  readonly arpResponder: boolean;
  readonly ttl?: number;
  readonly tos?: number;
  /** The multicast group when l2Population is off. */
  readonly group: string;
  readonly dstPort: number;
}

export interface LinuxBridgeAgentSettings {
  /** [DEFAULT] host: the name ports are bound to. */
  readonly host: string;
  /** physnet -> host interface (flat: enslaved as is; vlan: `<iface>.<vlan>`). */
  readonly interfaceMappings: Readonly<Record<string, string>>;
  /** physnet -> an existing bridge, used as the network's bridge. */
  readonly bridgeMappings: Readonly<Record<string, string>>;
  /** Undefined when [vxlan] enable_vxlan is false. */
  readonly vxlan?: VxlanSettings;
  readonly pollingIntervalMs: number;
  readonly reportIntervalMs: number;
  readonly availabilityZone: string;
  readonly logHeartbeats: boolean;
  /** [securitygroup] firewall_driver (noop too when enable_security_group is false). */
  readonly firewall: FirewallKind;
}

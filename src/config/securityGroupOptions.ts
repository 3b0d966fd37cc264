/**
 * [securitygroup], read by the server (ml2_conf.ini) and the L2 agents
 * (linuxbridge_agent.ini), as Neutron's neutron/conf/agent/securitygroups_rpc.py.
 *
 * firewall_driver takes Neutron's names (stevedore aliases or the class
 * paths the book writes): on the Linux bridge agent `iptables` and
 * `iptables_hybrid` (and our own name `nftables`) all mean "filter every
 * port statefully", which Nucleon programs as one nftables transaction;
 * `noop` (Neutron's default when unset) filters nothing.
 */
import type { OptionGroup } from './types.js';

export const securityGroupOptions = [
  {
    section: 'securitygroup',
    name: 'enable_security_group',
    type: { kind: 'boolean' },
    default: true,
    help: 'Security groups are enforced: the server says port_filter in the port binding and the agents filter. false: nothing is filtered, whatever firewall_driver says.',
  },
  {
    section: 'securitygroup',
    name: 'firewall_driver',
    type: { kind: 'string' },
    default: 'noop',
    help: 'The agent\'s firewall: iptables, iptables_hybrid or nftables (all stateful, programmed with nftables), noop (none); Neutron\'s class paths are accepted. openvswitch stops the Linux bridge agent, naming the option.',
  },
  {
    section: 'securitygroup',
    name: 'enable_ipset',
    type: { kind: 'boolean' },
    default: true,
    help: 'Match remote groups through address sets (always so with nftables; kept for Neutron\'s configuration files).',
  },
] as const satisfies OptionGroup;

/** What a firewall_driver value means to the Linux bridge agent. */
export type FirewallKind = 'noop' | 'stateful';

/** Neutron's aliases and class paths of firewall drivers, by what they mean here. */
const FIREWALL_DRIVERS: Readonly<Record<string, FirewallKind | 'openvswitch'>> = {
  noop: 'noop',
  'neutron.agent.firewall.NoopFirewallDriver': 'noop',
  iptables: 'stateful',
  'neutron.agent.linux.iptables_firewall.IptablesFirewallDriver': 'stateful',
  iptables_hybrid: 'stateful',
  'neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver': 'stateful',
  nftables: 'stateful',
  openvswitch: 'openvswitch',
  'neutron.agent.linux.openvswitch_firewall.OVSFirewallDriver': 'openvswitch',
};

/** The Linux bridge agent's reading of firewall_driver, or why it cannot use it. */
export function linuxBridgeFirewall(driver: string): FirewallKind | { readonly error: string } {
  const kind = FIREWALL_DRIVERS[driver.trim()];
  if (kind === undefined) return { error: `'${driver}' is not a firewall driver (${Object.keys(FIREWALL_DRIVERS).filter((k) => !k.includes('.')).join(', ')})` };
  if (kind === 'openvswitch') return { error: `'${driver}' filters with Open vSwitch flows; the Linux bridge agent uses iptables, iptables_hybrid, nftables or noop` };
  return kind;
}

/** The drivers that plug Open vSwitch ports through a Linux bridge of their own (os-vif's hybrid plug). */
const HYBRID_DRIVERS = new Set(['iptables_hybrid', 'neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver']);

/**
 * The Open vSwitch agent's reading of firewall_driver: iptables_hybrid (each
 * port in a Linux bridge of its own, filtered there by the same stateful
 * nftables firewall as the Linux bridge agent's) or noop. The flow-based
 * `openvswitch` firewall is refused with a clear message instead of leaving
 * ports unfiltered behind a driver's name.
 */
export function openvswitchFirewall(driver: string): FirewallKind | { readonly error: string } {
  const name = driver.trim();
  const kind = FIREWALL_DRIVERS[name];
  if (kind === undefined) return { error: `'${driver}' is not a firewall driver (${Object.keys(FIREWALL_DRIVERS).filter((k) => !k.includes('.')).join(', ')})` };
  if (kind === 'openvswitch') return { error: `'${driver}' (flows with conntrack) is not built into the Open vSwitch agent yet; use iptables_hybrid or noop` };
  if (kind === 'stateful' && !HYBRID_DRIVERS.has(name)) {
    return { error: `'${driver}' filters the Linux bridge a port sits in, which Open vSwitch ports have only with iptables_hybrid; use iptables_hybrid or noop` };
  }
  return kind;
}

/**
 * dhcp_agent.ini: the DHCP agent's own options, with Neutron's defaults
 * (neutron/conf/agent/dhcp.py and the interface options of
 * neutron/conf/agent/common.py). dhcp_lease_duration and dns_domain come
 * from neutron.conf (neutronOptions.ts); [DEFAULT] metadata_proxy_socket
 * from agentOptions.ts.
 */
import type { OptionGroup } from './types.js';

export const dhcpAgentOptions = [
  {
    section: 'DEFAULT',
    name: 'interface_driver',
    type: { kind: 'string' },
    help: 'How the DHCP port is plugged: linuxbridge (a veth pair the L2 agent enslaves to the network bridge) or openvswitch (a veth pair whose tap end joins [ovs] integration_bridge named as the port, for the Open vSwitch agent to wire).',
  },
  {
    section: 'DEFAULT',
    name: 'dhcp_driver',
    type: { kind: 'string' },
    default: 'neutron.agent.linux.dhcp.Dnsmasq',
    help: 'The DHCP driver; only dnsmasq is implemented, under Neutron\'s class name.',
  },
  {
    section: 'DEFAULT',
    name: 'resync_interval',
    type: { kind: 'integer', min: 1 },
    default: 5,
    help: 'Seconds between full resyncs: the pass that repairs drift (a killed dnsmasq, a removed namespace).',
  },
  {
    section: 'DEFAULT',
    name: 'enable_isolated_metadata',
    type: { kind: 'boolean' },
    default: false,
    help: 'Serve metadata (haproxy on 169.254.169.254 in the qdhcp namespace) on networks whose IPv4 subnets have no router.',
  },
  {
    section: 'DEFAULT',
    name: 'force_metadata',
    type: { kind: 'boolean' },
    default: false,
    help: 'Serve metadata from the DHCP namespace on every network, routed or not.',
  },
  {
    section: 'DEFAULT',
    name: 'enable_metadata_network',
    type: { kind: 'boolean' },
    default: false,
    help: 'With enable_isolated_metadata: also serve metadata on networks with a subnet inside 169.254.0.0/16.',
  },
  {
    section: 'DEFAULT',
    name: 'dhcp_confs',
    type: { kind: 'path' },
    default: '$state_path/dhcp',
    help: 'Where the per-network dnsmasq files live (<dhcp_confs>/<network id>/host, opts, ...).',
  },
  {
    section: 'DEFAULT',
    name: 'dnsmasq_config_file',
    type: { kind: 'path' },
    default: '',
    help: 'An extra dnsmasq configuration file; empty means /dev/null.',
  },
  {
    section: 'DEFAULT',
    name: 'dnsmasq_dns_servers',
    type: { kind: 'list' },
    default: [],
    help: 'DNS servers dnsmasq forwards to (--server=); setting any also stops it from reading resolv.conf.',
  },
  {
    section: 'DEFAULT',
    name: 'dnsmasq_base_log_dir',
    type: { kind: 'path' },
    help: 'Log DHCP and DNS to <dir>/<network id>/dhcp_dns_log; unset means dnsmasq logs to syslog.',
  },
  {
    section: 'DEFAULT',
    name: 'dnsmasq_local_resolv',
    type: { kind: 'boolean' },
    default: false,
    help: 'Let dnsmasq forward to the host\'s resolv.conf servers when dnsmasq_dns_servers is empty.',
  },
  {
    section: 'DEFAULT',
    name: 'dnsmasq_lease_max',
    type: { kind: 'integer', min: 1 },
    default: 2 ** 24,
    help: 'Most leases one dnsmasq hands out (capped further by the size of the subnets).',
  },
  {
    section: 'DEFAULT',
    name: 'dhcp_broadcast_reply',
    type: { kind: 'boolean' },
    default: false,
    help: 'Answer with broadcasts (--dhcp-broadcast), for clients that cannot take unicast replies.',
  },
] as const satisfies OptionGroup;

/** The interface drivers the agent accepts: Neutron's aliases and class paths. */
export const INTERFACE_DRIVERS: Readonly<Record<string, 'linuxbridge' | 'openvswitch'>> = {
  linuxbridge: 'linuxbridge',
  'neutron.agent.linux.interface.BridgeInterfaceDriver': 'linuxbridge',
  openvswitch: 'openvswitch',
  'neutron.agent.linux.interface.OVSInterfaceDriver': 'openvswitch',
};

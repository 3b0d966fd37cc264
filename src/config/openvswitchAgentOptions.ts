/**
 * openvswitch_agent.ini (Neutron's neutron/conf/plugins/ml2/drivers/
 * ovs_conf.py and agent_conf for [agent]): the bridges, the tunnels, and
 * how the agent reaches Open vSwitch. [agent] report_interval and
 * availability_zone come from agentOptions.ts, [securitygroup] from
 * securityGroupOptions.ts.
 */
import type { OptionGroup } from './types.js';

/** What every process that plugs ports into Open vSwitch reads (the OVS agent, and the DHCP agent with interface_driver openvswitch). */
export const ovsConnectionOptions = [
  {
    section: 'ovs',
    name: 'integration_bridge',
    type: { kind: 'string' },
    default: 'br-int',
    help: 'The bridge every port (instances, DHCP, routers) is plugged into; the agent creates it.',
  },
  {
    section: 'ovs',
    name: 'ovsdb_connection',
    type: { kind: 'string' },
    default: 'unix:/var/run/openvswitch/db.sock',
    help: 'Where ovsdb-server listens: unix:PATH or tcp:IP:PORT. With a Unix socket, the bridges\' OpenFlow sockets are looked for in its directory.',
  },
  {
    section: 'ovs',
    name: 'ovsdb_timeout',
    type: { kind: 'integer', min: 1 },
    default: 10,
    help: 'Seconds an OVSDB command may take.',
  },
  {
    section: 'ovs',
    name: 'datapath_type',
    type: { kind: 'enum', choices: ['system', 'netdev'] },
    default: 'system',
    help: 'The datapath of the bridges: system (the kernel module) or netdev (the userspace datapath, for hosts without the module).',
  },
] as const satisfies OptionGroup;

export const openvswitchAgentOptions = [
  ...ovsConnectionOptions,
  {
    section: 'ovs',
    name: 'tunnel_bridge',
    type: { kind: 'string' },
    default: 'br-tun',
    help: 'The bridge holding the tunnel ports, patched to the integration bridge; the agent creates it when tunnel_types is set.',
  },
  {
    section: 'ovs',
    name: 'int_peer_patch_port',
    type: { kind: 'string' },
    default: 'patch-tun',
    help: 'The integration bridge\'s end of the patch to the tunnel bridge.',
  },
  {
    section: 'ovs',
    name: 'tun_peer_patch_port',
    type: { kind: 'string' },
    default: 'patch-int',
    help: 'The tunnel bridge\'s end of the patch to the integration bridge.',
  },
  {
    section: 'ovs',
    name: 'bridge_mappings',
    type: { kind: 'dict' },
    default: {},
    help: 'physnet:bridge pairs: the existing OVS bridge (with the host\'s uplink in it) a flat or VLAN physical network is reached through.',
  },
  {
    section: 'ovs',
    name: 'local_ip',
    type: { kind: 'string' },
    help: 'This host\'s tunnel endpoint (IPv4): the address tunnel packets leave from. Needed when tunnel_types is set.',
  },
  {
    section: 'ovs',
    name: 'of_interface',
    type: { kind: 'enum', choices: ['native', 'ovs-ofctl'] },
    default: 'native',
    help: 'Accepted as Neutron\'s older configuration files set it; flows are always programmed with ovs-ofctl bundles.',
  },
  {
    section: 'ovs',
    name: 'ovsdb_interface',
    type: { kind: 'enum', choices: ['native', 'vsctl'] },
    default: 'native',
    help: 'Accepted as Neutron\'s older configuration files set it; the database is always used through ovs-vsctl.',
  },
  {
    section: 'agent',
    name: 'tunnel_types',
    type: { kind: 'list' },
    default: [],
    help: 'The tunnel types this host carries: vxlan, gre and geneve. Empty: no tunnel bridge, provider networks only.',
  },
  {
    section: 'agent',
    name: 'vxlan_udp_port',
    type: { kind: 'port' },
    default: 4789,
    help: 'The UDP port of VXLAN tunnels.',
  },
  {
    section: 'agent',
    name: 'l2_population',
    type: { kind: 'boolean' },
    default: false,
    help: 'Take forwarding entries from the server\'s l2population driver: tunnel ports only to hosts with ports on the same networks, flooding only to them, no learning.',
  },
  {
    section: 'agent',
    name: 'arp_responder',
    type: { kind: 'boolean' },
    default: false,
    help: 'With l2_population: answer ARP requests for remote ports in the tunnel bridge instead of flooding them.',
  },
  {
    section: 'agent',
    name: 'polling_interval',
    type: { kind: 'integer', min: 1 },
    default: 2,
    help: 'Seconds between two looks at the integration bridge\'s ports and the periodic repair of drift.',
  },
] as const satisfies OptionGroup;

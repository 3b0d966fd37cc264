/**
 * linuxbridge_agent.ini (Neutron's neutron/conf/plugins/ml2/drivers/
 * linuxbridge.py and agent/common config): which host interfaces carry the
 * physical networks, VXLAN tunnelling with or without l2population, and how
 * often the agent looks at its tap devices. [agent] report_interval and
 * availability_zone come from agentOptions.ts.
 */
import type { OptionGroup } from './types.js';

export const linuxbridgeAgentOptions = [
  {
    section: 'linux_bridge',
    name: 'physical_interface_mappings',
    type: { kind: 'dict' },
    default: {},
    help: 'physnet:interface pairs: the host interface a flat or VLAN physical network is reached through.',
  },
  {
    section: 'linux_bridge',
    name: 'bridge_mappings',
    type: { kind: 'dict' },
    default: {},
    help: 'physnet:bridge pairs: an existing bridge a flat physical network is reached through (used as is).',
  },
  {
    section: 'vxlan',
    name: 'enable_vxlan',
    type: { kind: 'boolean' },
    default: true,
    help: 'Carry VXLAN networks. Needs local_ip.',
  },
  {
    section: 'vxlan',
    name: 'local_ip',
    type: { kind: 'string' },
    help: 'This host\'s VTEP address: the IP of the interface VXLAN traffic leaves through.',
  },
  {
    section: 'vxlan',
    name: 'l2_population',
    type: { kind: 'boolean' },
    default: false,
    help: 'Take forwarding entries from the server\'s l2population driver: unicast VXLAN, no multicast group.',
  },
  {
    section: 'vxlan',
    name: 'arp_responder',
    type: { kind: 'boolean' },
    default: false,
    help: 'With l2_population: answer ARP on the VXLAN device from the known entries (proxy, with permanent neighbour entries) instead of flooding it.',
  },
  {
    section: 'vxlan',
    name: 'ttl',
    type: { kind: 'integer', min: 1, max: 255 },
    help: 'TTL of the VXLAN packets; unset: the kernel default.',
  },
  {
    section: 'vxlan',
    name: 'tos',
    type: { kind: 'integer', min: 0, max: 255 },
    help: 'TOS of the VXLAN packets; unset: the kernel default.',
  },
  {
    section: 'vxlan',
    name: 'vxlan_group',
    type: { kind: 'string' },
    default: '224.0.0.1',
    help: 'Multicast group of the VXLAN devices when l2_population is off.',
  },
  {
    section: 'vxlan',
    name: 'udp_dstport',
    type: { kind: 'port' },
    default: 4789,
    help: 'UDP port VXLAN packets are sent to (4789 is the IANA port; the kernel default is 8472).',
  },
  {
    section: 'agent',
    name: 'polling_interval',
    type: { kind: 'integer', min: 1 },
    default: 2,
    help: 'Seconds between two looks at the tap devices and the periodic repair of drift.',
  },
] as const satisfies OptionGroup;

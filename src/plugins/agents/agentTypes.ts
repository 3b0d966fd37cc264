/** Neutron's agent_type strings, exactly: clients (openstack network agent list --agent-type) match on them. */
export const AGENT_TYPE = {
  dhcp: 'DHCP agent',
  l3: 'L3 agent',
  linuxbridge: 'Linux bridge agent',
  openvswitch: 'Open vSwitch agent',
  metadata: 'Metadata agent',
} as const;

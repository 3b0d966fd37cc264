/** ml2_conf.ini: the ML2 plugin's options, with Neutron's defaults (neutron-api.md 6.1). */
import type { ConfigOf, DeclsOf, OptionGroup } from './types.js';

const list = { kind: 'list' } as const;

export const ml2Options = [
  {
    section: 'ml2',
    name: 'type_drivers',
    type: list,
    default: ['local', 'flat', 'vlan', 'gre', 'vxlan', 'geneve'],
    help: 'Network type drivers to load, in order.',
  },
  {
    section: 'ml2',
    name: 'tenant_network_types',
    type: list,
    default: ['local'],
    help: 'Network types tried, in order, for networks created without provider attributes.',
  },
  { section: 'ml2', name: 'mechanism_drivers', type: list, default: [], help: 'Mechanism drivers to load, in the order they are tried.' },
  { section: 'ml2', name: 'extension_drivers', type: list, default: [], help: 'Extension drivers to load (port_security, dns, ...). Accepted for compatibility and not read: the port-security and dns-integration extensions are always loaded.' },
  {
    section: 'ml2',
    name: 'path_mtu',
    type: { kind: 'integer', min: 0 },
    default: 0,
    help: 'Largest packet of the underlay network for tunnels; 0 means global_physnet_mtu.',
  },
  {
    section: 'ml2',
    name: 'physical_network_mtus',
    type: list,
    default: [],
    help: 'physnet:mtu pairs overriding global_physnet_mtu for flat and VLAN networks.',
  },
  { section: 'ml2', name: 'external_network_type', type: { kind: 'string' }, help: 'Type of external networks created without provider attributes.' },
  {
    section: 'ml2',
    name: 'overlay_ip_version',
    type: { kind: 'enum', choices: ['4', '6'] },
    default: '4',
    help: 'IP version of the tunnel underlay: the outer header is 20 (IPv4) or 40 (IPv6) bytes.',
  },
  {
    section: 'ml2_type_flat',
    name: 'flat_networks',
    type: list,
    default: ['*'],
    help: 'Physical networks flat networks may use; * for any, empty to disable flat networks.',
  },
  {
    section: 'ml2_type_vlan',
    name: 'network_vlan_ranges',
    type: list,
    default: [],
    help: 'physnet:min:max ranges for project VLANs, or a bare physnet usable by provider networks only.',
  },
  { section: 'ml2_type_vxlan', name: 'vni_ranges', type: list, default: [], help: 'min:max VXLAN VNI ranges for project networks.' },
  { section: 'ml2_type_vxlan', name: 'vxlan_group', type: { kind: 'string' }, help: 'Multicast group for VXLAN flooding (unset: unicast).' },
  { section: 'ml2_type_gre', name: 'tunnel_id_ranges', type: list, default: [], help: 'min:max GRE tunnel id ranges for project networks.' },
  { section: 'ml2_type_geneve', name: 'vni_ranges', type: list, default: [], help: 'min:max Geneve VNI ranges for project networks.' },
  {
    section: 'ml2_type_geneve',
    name: 'max_header_size',
    type: { kind: 'integer', min: 0 },
    default: 30,
    help: 'Geneve encapsulation header size, subtracted from the network MTU.',
  },
] as const satisfies OptionGroup;

export type Ml2Config = ConfigOf<DeclsOf<readonly [typeof ml2Options]>>;

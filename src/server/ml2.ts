/**
 * Builds ML2's type drivers from ml2_conf.ini. Every value is checked here,
 * at start-up: a bad one stops the process naming file, section and option.
 */
import { type IdRange, MAX_GRE_ID, MAX_VXLAN_VNI, parseIdRanges, parsePhysnetMtus, parseVlanRanges } from '../plugins/ml2/segmentRanges.js';
import { type AgentBindingOptions, linuxbridge, openvswitch } from '../plugins/ml2/mechanisms/agentMechanism.js';
import { l2population } from '../plugins/ml2/mechanisms/l2population.js';
import type { MechanismDriver } from '../plugins/ml2/mechanisms/mechanismDriver.js';
import { TypeManager } from '../plugins/ml2/typeManager.js';
import { FlatTypeDriver } from '../plugins/ml2/types/flat.js';
import { LocalTypeDriver } from '../plugins/ml2/types/local.js';
import { TunnelTypeDriver } from '../plugins/ml2/types/tunnel.js';
import type { TypeDriver } from '../plugins/ml2/types/typeDriver.js';
import { VlanTypeDriver } from '../plugins/ml2/types/vlan.js';
import type { LoadedNeutronConfig } from './config.js';

const TYPES = ['local', 'flat', 'vlan', 'gre', 'vxlan', 'geneve'] as const;
const MECHANISMS: Readonly<Record<string, (binding: AgentBindingOptions) => MechanismDriver>> = {
  linuxbridge,
  openvswitch,
  l2population: () => l2population,
};

/** Outer IP header plus each encapsulation's own header (neutron-lib constants). */
const IP_HEADER = { '4': 20, '6': 40 } as const;
const ENCAP_OVERHEAD = { vxlan: 30, gre: 22 } as const;

export function buildTypeManager(loaded: LoadedNeutronConfig): TypeManager {
  const { config } = loaded;
  const ml2 = config.ml2;
  /** Runs a parser; its Error becomes a ConfigError naming where the value came from. */
  const parsed = <T>(section: Parameters<typeof loaded.errorFor>[0], option: string, parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      throw loaded.errorFor(section, option as never, err instanceof Error ? err.message : String(err));
    }
  };
  for (const type of ml2.type_drivers) {
    if (!(TYPES as readonly string[]).includes(type)) {
      throw loaded.errorFor('ml2', 'type_drivers', `unknown type driver '${type}' (known: ${TYPES.join(', ')})`);
    }
  }
  for (const type of ml2.tenant_network_types) {
    if (!ml2.type_drivers.includes(type)) throw loaded.errorFor('ml2', 'tenant_network_types', `'${type}' is not in type_drivers`);
  }
  mechanismDrivers(loaded);
  if (ml2.external_network_type !== undefined && !ml2.type_drivers.includes(ml2.external_network_type)) {
    throw loaded.errorFor('ml2', 'external_network_type', `'${ml2.external_network_type}' is not in type_drivers`);
  }

  const globalMtu = config.DEFAULT.global_physnet_mtu;
  const physnetMtus = parsed('ml2', 'physical_network_mtus', () => parsePhysnetMtus(ml2.physical_network_mtus));
  const physnetMtu = (physnet: string) => Math.min(globalMtu, physnetMtus.get(physnet) ?? globalMtu);
  const underlayMtu = ml2.path_mtu > 0 ? Math.min(globalMtu, ml2.path_mtu) : globalMtu;
  const ipHeader = IP_HEADER[ml2.overlay_ip_version];
  const tunnel = (type: 'vxlan' | 'gre' | 'geneve', ranges: IdRange[], maxId: number, encap: number) =>
    new TunnelTypeDriver({ type, ranges, maxId, underlayMtu, overhead: ipHeader + encap });

  const make: Record<(typeof TYPES)[number], () => TypeDriver> = {
    local: () => new LocalTypeDriver(),
    flat: () => new FlatTypeDriver(config.ml2_type_flat.flat_networks, physnetMtu),
    vlan: () => new VlanTypeDriver(parsed('ml2_type_vlan', 'network_vlan_ranges', () => parseVlanRanges(config.ml2_type_vlan.network_vlan_ranges)), physnetMtu),
    vxlan: () =>
      tunnel('vxlan', parsed('ml2_type_vxlan', 'vni_ranges', () => parseIdRanges(config.ml2_type_vxlan.vni_ranges, { min: 1, max: MAX_VXLAN_VNI }, 'VNI')), MAX_VXLAN_VNI, ENCAP_OVERHEAD.vxlan),
    gre: () =>
      tunnel('gre', parsed('ml2_type_gre', 'tunnel_id_ranges', () => parseIdRanges(config.ml2_type_gre.tunnel_id_ranges, { min: 1, max: MAX_GRE_ID }, 'tunnel id')), MAX_GRE_ID, ENCAP_OVERHEAD.gre),
    geneve: () =>
      tunnel('geneve', parsed('ml2_type_geneve', 'vni_ranges', () => parseIdRanges(config.ml2_type_geneve.vni_ranges, { min: 1, max: MAX_VXLAN_VNI }, 'VNI')), MAX_VXLAN_VNI, config.ml2_type_geneve.max_header_size),
  };
  const drivers = new Map(ml2.type_drivers.map((type) => [type, make[type as (typeof TYPES)[number]]()]));
  return new TypeManager({
    drivers,
    projectNetworkTypes: ml2.tenant_network_types,
    externalNetworkType: ml2.external_network_type,
    globalPhysnetMtu: globalMtu,
  });
}

/** mechanism_drivers, in the order they are tried. */
export function mechanismDrivers(loaded: LoadedNeutronConfig): MechanismDriver[] {
  const binding = { portFilter: loaded.config.securitygroup.enable_security_group };
  return loaded.config.ml2.mechanism_drivers.map((name) => {
    const make = MECHANISMS[name];
    if (!make) {
      throw loaded.errorFor('ml2', 'mechanism_drivers', `unknown mechanism driver '${name}' (known: ${Object.keys(MECHANISMS).join(', ')})`);
    }
    return make(binding);
  });
}

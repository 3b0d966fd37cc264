/**
 * Drivers that bind through an L2 agent on the host (Linux bridge, Open
 * vSwitch): the port binds when an alive agent of the driver's type runs
 * there and can reach one of the network's segments (mappings for flat and
 * VLAN, tunnel types for overlays).
 */
import type { PortBinding } from '../../core/deps.js';
import type { Segment } from '../segment.js';
import type { AgentView, BindingContext, MechanismDriver } from './mechanismDriver.js';

const TUNNEL_TYPES = ['vxlan', 'gre', 'geneve'];

export interface AgentMechanismSpec {
  readonly name: string;
  readonly agentType: string;
  /** The configurations key naming the agent's physical network mappings. */
  readonly mappingKeys: readonly string[];
  /** The binding on the agent the port is bound through (vif_details may depend on what it reports). */
  readonly binding: (agent: AgentView) => PortBinding;
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const keys = (value: unknown): string[] => (value && typeof value === 'object' ? Object.keys(value) : []);

export function canReach(agent: AgentView, segment: Segment, mappingKeys: readonly string[]): boolean {
  const { networkType, physicalNetwork } = segment;
  if (networkType === 'local') return true;
  if (TUNNEL_TYPES.includes(networkType)) return stringList(agent.configurations.tunnel_types).includes(networkType);
  if (networkType === 'flat' || networkType === 'vlan') {
    return physicalNetwork !== null && mappingKeys.some((key) => keys(agent.configurations[key]).includes(physicalNetwork));
  }
  return false;
}

export class AgentMechanismDriver implements MechanismDriver {
  readonly name: string;

  constructor(private readonly spec: AgentMechanismSpec) {
    this.name = spec.name;
  }

  async bindPort(context: BindingContext): Promise<PortBinding | undefined> {
    if (context.vnicType !== 'normal') return undefined;
    const agents = await context.agentsOnHost(this.spec.agentType);
    const agent = agents.find((a) => context.segments.some((segment) => canReach(a, segment, this.spec.mappingKeys)));
    return agent ? this.spec.binding(agent) : undefined;
  }
}

/** What the agent-based drivers say in binding:vif_details: port_filter is whether the agents filter ([securitygroup] enable_security_group). */
export interface AgentBindingOptions {
  readonly portFilter: boolean;
}

export const linuxbridge = ({ portFilter }: AgentBindingOptions): AgentMechanismDriver =>
  new AgentMechanismDriver({
    name: 'linuxbridge',
    agentType: 'Linux bridge agent',
    mappingKeys: ['interface_mappings', 'bridge_mappings'],
    binding: () => ({ vifType: 'bridge', vifDetails: { port_filter: portFilter, connectivity: 'l2' } }),
  });

export const openvswitch = ({ portFilter }: AgentBindingOptions): AgentMechanismDriver =>
  new AgentMechanismDriver({
    name: 'openvswitch',
    agentType: 'Open vSwitch agent',
    mappingKeys: ['bridge_mappings'],
    // As Neutron's driver: the datapath and bridge the agent reports, so os-vif plugs the VIF where the agent looks.
    binding: ({ configurations }) => ({
      vifType: 'ovs',
      vifDetails: {
        port_filter: portFilter,
        connectivity: 'l2',
        ovs_hybrid_plug: configurations.ovs_hybrid_plug === true,
        datapath_type: typeof configurations.datapath_type === 'string' ? configurations.datapath_type : 'system',
        bridge_name: typeof configurations.integration_bridge === 'string' ? configurations.integration_bridge : 'br-int',
        bound_drivers: { '0': 'openvswitch' },
      },
    }),
  });

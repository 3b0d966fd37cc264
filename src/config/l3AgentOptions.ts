/**
 * l3_agent.ini: the L3 agent's own options, with Neutron's defaults
 * (neutron/conf/agent/l3/config.py, the interface options of
 * neutron/conf/agent/common.py, periodic_interval of neutron/conf/service.py).
 * [agent] report_interval and friends, and [DEFAULT] metadata_proxy_socket,
 * come from agentOptions.ts.
 */
import type { OptionGroup } from './types.js';

/** Neutron's agent modes; only legacy (centralized routers, no DVR) is implemented. */
export const AGENT_MODES = ['legacy', 'dvr', 'dvr_snat', 'dvr_no_external'] as const;

export const l3AgentOptions = [
  {
    section: 'DEFAULT',
    name: 'interface_driver',
    type: { kind: 'string' },
    help: 'How router ports are plugged: linuxbridge (a veth pair whose tap end the Linux bridge agent enslaves to the network bridge) or openvswitch (a veth pair whose tap end joins [ovs] integration_bridge named as the port, for the Open vSwitch agent to wire; the gateway port too).',
  },
  {
    section: 'DEFAULT',
    name: 'agent_mode',
    type: { kind: 'enum', choices: AGENT_MODES },
    default: 'legacy',
    help: 'legacy: routers live in qrouter namespaces on this node with their SNAT and floating IPs. The DVR modes are not implemented.',
  },
  {
    section: 'DEFAULT',
    name: 'handle_internal_only_routers',
    type: { kind: 'boolean' },
    default: true,
    help: 'Also host routers without an external gateway.',
  },
  {
    section: 'DEFAULT',
    name: 'periodic_interval',
    type: { kind: 'integer', min: 1 },
    default: 40,
    help: 'Seconds between the periodic passes: a full sync_routers and the repair of drift (a deleted namespace, a flushed table, a removed address).',
  },
  {
    section: 'DEFAULT',
    name: 'external_network_bridge',
    type: { kind: 'string' },
    default: '',
    help: 'Deprecated (removed from Neutron): only the empty value is accepted; gateway ports are plugged like any other port (with openvswitch, into the integration bridge, and out through the bridge_mappings of the Open vSwitch agent).',
  },
  {
    section: 'DEFAULT',
    name: 'enable_metadata_proxy',
    type: { kind: 'boolean' },
    default: true,
    help: 'Run a metadata proxy (haproxy) in each router namespace, reached by instances on 169.254.169.254:80 through the router.',
  },
  {
    section: 'DEFAULT',
    name: 'metadata_port',
    type: { kind: 'port' },
    default: 9697,
    help: 'The port the metadata proxy listens on inside the router namespace.',
  },
] as const satisfies OptionGroup;

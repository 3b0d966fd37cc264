/**
 * Neutron's RPC topic names (neutron_lib/agent/topics.py), so that an
 * operator reading `rabbitmqctl list_queues` / `list_exchanges` recognises the
 * traffic: `q-plugin`, `q-reports-plugin`, `dhcp_agent.<host>`,
 * `q-agent-notifier-port-update_fanout`...
 *
 * Which methods travel on each topic, with their arguments and results, is
 * the contract's business (contract/).
 *
 * Who listens where, as in Neutron:
 *   server   serves PLUGIN (agents' calls: get_devices_details, update_device_up...),
 *            REPORTS (report_state), DHCP (the DHCP agents' calls), L3PLUGIN
 *   DHCP     serves DHCP_AGENT with server = its host (network_create_end,
 *            port_create_end... cast by the server to `dhcp_agent.<host>`)
 *   L3       serves L3_AGENT with server = its host
 *   L2       subscribes (fanout) to agentNotifierTopic(PORT, UPDATE) and the others
 */

// Tables and operations (the middle and last parts of a notifier topic).
export const NETWORK = 'network';
export const SUBNET = 'subnet';
export const PORT = 'port';
/** portbindings_extended.RESOURCE_NAME */
export const PORT_BINDING = 'binding';
export const SECURITY_GROUP = 'security_group';
export const L2POPULATION = 'l2population';
export const DVR = 'dvr';
export const TUNNEL = 'tunnel';
export const RESOURCES = 'resources';

export const CREATE = 'create';
export const DELETE = 'delete';
export const UPDATE = 'update';
export const ACTIVATE = 'activate';
export const DEACTIVATE = 'deactivate';

// Topics.
/** Prefix of the server-to-agent notification topics. */
export const AGENT = 'q-agent-notifier';
/** The server's endpoint for the L2 agents' RPC. */
export const PLUGIN = 'q-plugin';
export const SERVER_RESOURCE_VERSIONS = 'q-server-resource-versions';
export const L3PLUGIN = 'q-l3-plugin';
/** Agents' heartbeats (`report_state`). */
export const REPORTS = 'q-reports-plugin';
/** The server's endpoint for the DHCP agents' RPC; Neutron's spelling, typo included. */
export const DHCP = 'q-dhcp-notifer';
export const METERING_PLUGIN = 'q-metering-plugin';

export const L3_AGENT = 'l3_agent';
export const DHCP_AGENT = 'dhcp_agent';

export const METERING_AGENT = 'metering_agent';

/** neutron_lib's `get_topic_name`: `<prefix>-<table>-<operation>[.<host>]`. */
export function getTopicName(prefix: string, table: string, operation: string, host?: string): string {
  const name = `${prefix}-${table}-${operation}`;
  return host === undefined || host === '' ? name : `${name}.${host}`;
}

/** `q-agent-notifier-<table>-<operation>`, e.g. `q-agent-notifier-port-update`. */
export function agentNotifierTopic(table: string, operation: string): string {
  return getTopicName(AGENT, table, operation);
}

/** The notification topics the server fans out to L2 agents. */
export const AGENT_NOTIFIER = {
  portUpdate: agentNotifierTopic(PORT, UPDATE),
  portDelete: agentNotifierTopic(PORT, DELETE),
  networkUpdate: agentNotifierTopic(NETWORK, UPDATE),
  networkDelete: agentNotifierTopic(NETWORK, DELETE),
  securityGroupUpdate: agentNotifierTopic(SECURITY_GROUP, UPDATE),
  l2populationUpdate: agentNotifierTopic(L2POPULATION, UPDATE),
  dvrUpdate: agentNotifierTopic(DVR, UPDATE),
  tunnelUpdate: agentNotifierTopic(TUNNEL, UPDATE),
  tunnelDelete: agentNotifierTopic(TUNNEL, DELETE),
  bindingActivate: agentNotifierTopic(PORT_BINDING, ACTIVATE),
  bindingDeactivate: agentNotifierTopic(PORT_BINDING, DEACTIVATE),
} as const;

/** neutron_lib's RESOURCE_TOPIC_PATTERN: versioned-object push topics, `neutron-vo-<type>-<version>`. */
export function resourceTopic(resourceType: string, version: string): string {
  return `neutron-vo-${resourceType}-${version}`;
}

/**
 * The RPC contract between the server and its agents: one module per API,
 * imported by both the server's handlers and the agents' clients (README,
 * "The RPC contract"). The wire is Neutron's: same topics, method names and
 * keyword arguments.
 *
 *   APIs                 Neutron's name                 topic
 *   reportsApi           PluginReportStateAPI           q-reports-plugin
 *   l2PluginApi          PluginApi                      q-plugin
 *   dhcpPluginApi        DhcpPluginApi                  q-plugin
 *   metadataApi          MetadataPluginAPI              q-plugin
 *   dhcpAgentApi         DhcpAgentNotifyAPI             dhcp_agent[.<host>]
 *   l2AgentApi           AgentNotifierApi               q-agent-notifier-{port,network}-{update,delete}
 *   l2populationApi      L2populationAgentNotifyAPI     q-agent-notifier-l2population-update[.<host>]
 *   l3PluginApi          L3PluginApi                    q-l3-plugin
 *   l3AgentApi           L3AgentNotifyAPI               l3_agent.<host>
 *   securityGroupServerApi  SecurityGroupServerRpcApi   q-plugin
 *   securityGroupAgentApi   SecurityGroupAgentRpcApiMixin  q-agent-notifier-security_group-update
 *
 * serveContract / serveEndpoints serve them (arguments checked first),
 * clientOf sends through them (answers checked on receipt).
 */
export { defineApi, defineMethod, type ArgsOf, type Delivery, type MethodSpec, type Methods, type ResultOf, type RpcApi } from './define.js';
export { clientOf, type ContractClient } from './client.js';
export { endpoint, serveContract, serveEndpoints, type Endpoint, type HandlerOf, type HandlersOf } from './serve.js';
export * from './schemas.js';
export { conform, matches, mismatch, SchemaMismatch } from './validate.js';
export * from './reports.js';
export * from './l2Plugin.js';
export * from './dhcpPlugin.js';
export * from './metadata.js';
export * from './dhcpAgent.js';
export * from './l2Agent.js';
export * from './l2population.js';
export * from './l3Plugin.js';
export * from './l3Agent.js';
export * from './securityGroups.js';
export * from './tunnels.js';

/**
 * Which option groups go into which sample file (etc/*.sample), in one
 * place, as oslo-config-generator's etc/oslo-config-generator/*.conf files
 * say which namespaces go into which file. nucleon-config-generator
 * (`npm run config:samples`) writes them; test/config/samples.test.ts fails
 * when a declared option is in no sample, or a committed sample differs
 * from what the declarations give now.
 *
 * A new option module (src/config/fooOptions.ts) adds its groups here.
 */
import { agentStateOptions, metadataProxySocketOptions } from './agentOptions.js';
import { dhcpAgentOptions } from './dhcpAgentOptions.js';
import { l3AgentOptions } from './l3AgentOptions.js';
import { linuxbridgeAgentOptions } from './linuxbridgeAgentOptions.js';
import { loggingOptions } from './loggingOptions.js';
import { metadataAgentOptions } from './metadataAgentOptions.js';
import { agentMetricsOptions, serverMetricsOptions } from './metricsOptions.js';
import { ml2Options } from './ml2Options.js';
import { neutronOptionGroups } from './neutronOptions.js';
import { openvswitchAgentOptions, ovsConnectionOptions } from './openvswitchAgentOptions.js';
import type { SampleFile } from './renderSample.js';
import { rpcOptions } from './rpcOptions.js';
import { securityGroupOptions } from './securityGroupOptions.js';
import type { OptionGroup } from './types.js';
import { uiOptions } from './uiOptions.js';

/**
 * oslo.log's options, which every upstream sample file carries. They come
 * first: neutronOptions.ts declares debug, log_file, log_dir and use_syslog
 * too, and the first declaration of an option in a file is the one shown.
 */
const loggingGroups: readonly OptionGroup[] = [loggingOptions];

/** What every agent reports and serves, in [agent] of its own file. */
const agentCommonGroups: readonly OptionGroup[] = [agentStateOptions, agentMetricsOptions];

export const sampleFiles: readonly SampleFile[] = [
  {
    name: 'neutron.conf.sample',
    description:
      'the server and every agent read it (/etc/neutron/neutron.conf, the first --config-file): ' +
      'logging, the API, the database, the message bus, Keystone, Nova, quotas, policy, metrics and the topology page.',
    groups: [...loggingGroups, ...neutronOptionGroups, rpcOptions, serverMetricsOptions, uiOptions],
  },
  {
    name: 'ml2_conf.ini.sample',
    description:
      "the ML2 plugin's type and mechanism drivers, read by nucleon-server " +
      '(--config-file /etc/neutron/plugins/ml2/ml2_conf.ini).',
    groups: [...loggingGroups, ml2Options, securityGroupOptions],
  },
  {
    name: 'linuxbridge_agent.ini.sample',
    description:
      'nucleon-linuxbridge-agent on every node with instances or routers ' +
      '(--config-file /etc/neutron/plugins/ml2/linuxbridge_agent.ini).',
    groups: [...loggingGroups, linuxbridgeAgentOptions, securityGroupOptions, ...agentCommonGroups],
  },
  {
    name: 'openvswitch_agent.ini.sample',
    description:
      'nucleon-openvswitch-agent on every node with instances or routers ' +
      '(--config-file /etc/neutron/plugins/ml2/openvswitch_agent.ini).',
    groups: [...loggingGroups, openvswitchAgentOptions, securityGroupOptions, ...agentCommonGroups],
  },
  {
    name: 'dhcp_agent.ini.sample',
    description: 'nucleon-dhcp-agent (--config-file /etc/neutron/dhcp_agent.ini).',
    groups: [...loggingGroups, dhcpAgentOptions, ovsConnectionOptions, metadataProxySocketOptions, ...agentCommonGroups],
  },
  {
    name: 'metadata_agent.ini.sample',
    description: 'nucleon-metadata-agent (--config-file /etc/neutron/metadata_agent.ini).',
    groups: [...loggingGroups, metadataAgentOptions, metadataProxySocketOptions, ...agentCommonGroups],
  },
  {
    name: 'l3_agent.ini.sample',
    description: 'nucleon-l3-agent (--config-file /etc/neutron/l3_agent.ini).',
    groups: [...loggingGroups, l3AgentOptions, ovsConnectionOptions, metadataProxySocketOptions, ...agentCommonGroups],
  },
];

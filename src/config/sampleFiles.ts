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
import { metadataAgentOptions } from './metadataAgentOptions.js';
import { ml2Options } from './ml2Options.js';
import { neutronOptionGroups } from './neutronOptions.js';
import type { SampleFile } from './renderSample.js';
import { rpcOptions } from './rpcOptions.js';
import { securityGroupOptions } from './securityGroupOptions.js';
import type { OptionGroup } from './types.js';

/**
 * oslo.log's options, which every upstream sample file carries. Until
 * src/config/loggingOptions.ts exists, [DEFAULT] debug, log_file, log_dir...
 * are declared in neutronOptions.ts and shown in neutron.conf.sample; when it
 * lands, put its groups here and they appear in every sample.
 */
const loggingGroups: readonly OptionGroup[] = [];

/**
 * The Open vSwitch agent's own groups ([ovs], [agent] tunnel_types...):
 * put the groups of src/config/openvswitchAgentOptions.ts here when it
 * lands. Until then openvswitch_agent.ini.sample holds only what every L2
 * agent reads.
 */
const openvswitchAgentGroups: readonly OptionGroup[] = [];

export const sampleFiles: readonly SampleFile[] = [
  {
    name: 'neutron.conf.sample',
    description:
      'the server and every agent read it (/etc/neutron/neutron.conf, the first --config-file): ' +
      'the API, the database, the message bus, Keystone, Nova, quotas and policy.',
    groups: [...neutronOptionGroups, rpcOptions, ...loggingGroups],
  },
  {
    name: 'ml2_conf.ini.sample',
    description:
      "the ML2 plugin's type and mechanism drivers, read by nucleon-server " +
      '(--config-file /etc/neutron/plugins/ml2/ml2_conf.ini).',
    groups: [ml2Options, securityGroupOptions, ...loggingGroups],
  },
  {
    name: 'linuxbridge_agent.ini.sample',
    description:
      'nucleon-linuxbridge-agent on every node with instances or routers ' +
      '(--config-file /etc/neutron/plugins/ml2/linuxbridge_agent.ini).',
    groups: [linuxbridgeAgentOptions, securityGroupOptions, agentStateOptions, ...loggingGroups],
  },
  {
    name: 'openvswitch_agent.ini.sample',
    description:
      'nucleon-openvswitch-agent on every node with instances or routers ' +
      '(--config-file /etc/neutron/plugins/ml2/openvswitch_agent.ini).',
    groups: [...openvswitchAgentGroups, securityGroupOptions, agentStateOptions, ...loggingGroups],
  },
  {
    name: 'dhcp_agent.ini.sample',
    description: 'nucleon-dhcp-agent (--config-file /etc/neutron/dhcp_agent.ini).',
    groups: [dhcpAgentOptions, metadataProxySocketOptions, agentStateOptions, ...loggingGroups],
  },
  {
    name: 'metadata_agent.ini.sample',
    description: 'nucleon-metadata-agent (--config-file /etc/neutron/metadata_agent.ini).',
    groups: [metadataAgentOptions, metadataProxySocketOptions, agentStateOptions, ...loggingGroups],
  },
  {
    name: 'l3_agent.ini.sample',
    description: 'nucleon-l3-agent (--config-file /etc/neutron/l3_agent.ini).',
    groups: [l3AgentOptions, metadataProxySocketOptions, agentStateOptions, ...loggingGroups],
  },
];

/**
 * nucleon-openvswitch-agent --config-file neutron.conf --config-file openvswitch_agent.ini [--dry-run]
 * The Open vSwitch L2 agent of this host, talking to the server over RabbitMQ.
 */
import { runAgentProcess } from '../server/agentProcess.js';
import { openvswitchAgentGroups, openvswitchAgentSettings, type OvsAgentSettings, planOpenvswitchAgent, startOpenvswitchAgent } from '../server/openvswitchAgent.js';
import { runMain } from './run.js';

const NAME = 'nucleon-openvswitch-agent';

runMain(NAME, () =>
  runAgentProcess<typeof openvswitchAgentGroups, OvsAgentSettings>(
    {
      name: NAME,
      groups: openvswitchAgentGroups,
      settings: openvswitchAgentSettings,
      start: ({ settings, bus, log }) => startOpenvswitchAgent(settings, bus, log),
      dryRun: ({ settings, bus, log }) => planOpenvswitchAgent(settings, bus, log),
    },
    process.argv.slice(2),
  ),
);

/**
 * nucleon-linuxbridge-agent --config-file neutron.conf --config-file linuxbridge_agent.ini [--dry-run]
 * The Linux bridge L2 agent on this host's namespace, talking to the server over RabbitMQ.
 */
import { runAgentProcess } from '../server/agentProcess.js';
import { linuxbridgeAgentGroups, linuxBridgeAgentSettings, planLinuxBridgeAgent, startLinuxBridgeAgent } from '../server/linuxbridgeAgent.js';
import { runMain } from './run.js';

runMain('nucleon-linuxbridge-agent', () =>
  runAgentProcess<typeof linuxbridgeAgentGroups>(
    {
      name: 'nucleon-linuxbridge-agent',
      groups: linuxbridgeAgentGroups,
      start: ({ loaded, bus, log }) => startLinuxBridgeAgent(linuxBridgeAgentSettings(loaded), bus, log),
      dryRun: ({ loaded, bus, log }) => planLinuxBridgeAgent(linuxBridgeAgentSettings(loaded), bus, log),
    },
    process.argv.slice(2),
  ),
);

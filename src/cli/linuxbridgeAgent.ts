/**
 * nucleon-linuxbridge-agent --config-file neutron.conf --config-file linuxbridge_agent.ini [--dry-run]
 * The Linux bridge L2 agent on this host's namespace, talking to the server over RabbitMQ.
 */
import { runAgentProcess } from '../server/agentProcess.js';
import {
  linuxbridgeAgentGroups,
  type LinuxBridgeAgentSettings,
  linuxBridgeAgentSettings,
  planLinuxBridgeAgent,
  startLinuxBridgeAgent,
} from '../server/linuxbridgeAgent.js';
import { runMain } from './run.js';

const NAME = 'nucleon-linuxbridge-agent';

runMain(NAME, () =>
  runAgentProcess<typeof linuxbridgeAgentGroups, LinuxBridgeAgentSettings>(
    {
      name: NAME,
      groups: linuxbridgeAgentGroups,
      settings: linuxBridgeAgentSettings,
      start: ({ settings, bus, log }) => startLinuxBridgeAgent(settings, bus, log),
      dryRun: ({ settings, bus, log }) => planLinuxBridgeAgent(settings, bus, log),
    },
    process.argv.slice(2),
  ),
);

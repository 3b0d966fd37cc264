/**
 * nucleon-linuxbridge-agent --config-file neutron.conf --config-file linuxbridge_agent.ini [--dry-run]
 * The Linux bridge L2 agent on this host's namespace, talking to the server over RabbitMQ.
 */
import { loadAgentConfig, runAgentProcess } from '../server/agentProcess.js';
import { linuxbridgeAgentGroups, linuxBridgeAgentSettings, planLinuxBridgeAgent, startLinuxBridgeAgent } from '../server/linuxbridgeAgent.js';
import { runMain } from './run.js';

const NAME = 'nucleon-linuxbridge-agent';

runMain(NAME, async () => {
  const argv = process.argv.slice(2);
  // A bad option stops the command here, before it waits for the broker.
  linuxBridgeAgentSettings(loadAgentConfig(NAME, argv, linuxbridgeAgentGroups).loaded);
  return runAgentProcess<typeof linuxbridgeAgentGroups>(
    {
      name: NAME,
      groups: linuxbridgeAgentGroups,
      start: ({ loaded, bus, log }) => startLinuxBridgeAgent(linuxBridgeAgentSettings(loaded), bus, log),
      dryRun: ({ loaded, bus, log }) => planLinuxBridgeAgent(linuxBridgeAgentSettings(loaded), bus, log),
    },
    argv,
  );
});

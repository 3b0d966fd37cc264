/**
 * nucleon-l3-agent --config-file neutron.conf --config-file l3_agent.ini [--dry-run]
 * The L3 agent (legacy routers in qrouter-<router> namespaces, NAT with nftables) on this host, talking to the server over RabbitMQ.
 */
import { L3Agent } from '../agents/l3/l3Agent.js';
import { l3AgentSettings, type L3AgentSettings } from '../agents/l3/settings.js';
import { runAgentProcess } from '../server/agentProcess.js';
import { l3AgentGroups } from '../server/l3Agent.js';
import { runMain } from './run.js';

const NAME = 'nucleon-l3-agent';

runMain(NAME, () =>
  runAgentProcess<typeof l3AgentGroups, L3AgentSettings>(
    {
      name: NAME,
      groups: l3AgentGroups,
      settings: l3AgentSettings,
      start: async ({ settings, bus, log }) => {
        const agent = new L3Agent(settings, bus, log);
        await agent.start();
        return agent;
      },
      dryRun: ({ settings, bus, log }) => new L3Agent(settings, bus, log).plan(),
    },
    process.argv.slice(2),
  ),
);

/**
 * nucleon-metadata-agent --config-file neutron.conf --config-file metadata_agent.ini [--dry-run]
 * The metadata agent on this host: serves the metadata proxies' Unix socket, asks the server over RabbitMQ which instance is asking, forwards to Nova.
 */
import { metadataAgentOptions } from '../config/metadataAgentOptions.js';
import { runAgentProcess } from '../server/agentProcess.js';
import { describeMetadataAgent, metadataAgentSettings, startMetadataAgent } from '../server/metadataAgent.js';
import { runMain } from './run.js';

// Named once, given as the type argument: inferring it from the literal is more than tsc can represent.
const metadataAgentGroups = [metadataAgentOptions] as const;

runMain('nucleon-metadata-agent', () =>
  runAgentProcess<typeof metadataAgentGroups>(
    {
      name: 'nucleon-metadata-agent',
      groups: metadataAgentGroups,
      start: ({ loaded, bus, log }) => startMetadataAgent(metadataAgentSettings(loaded), bus, log),
      dryRun: async ({ loaded }) => describeMetadataAgent(metadataAgentSettings(loaded)),
    },
    process.argv.slice(2),
  ),
);

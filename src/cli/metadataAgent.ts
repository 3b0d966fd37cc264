/**
 * nucleon-metadata-agent --config-file neutron.conf --config-file metadata_agent.ini [--dry-run]
 * The metadata agent on this host: serves the metadata proxies' Unix socket, asks the server over RabbitMQ which instance is asking, forwards to Nova.
 */
import type { MetadataAgentSettings } from '../agents/metadata/settings.js';
import { metadataAgentOptions } from '../config/metadataAgentOptions.js';
import { runAgentProcess } from '../server/agentProcess.js';
import { describeMetadataAgent, metadataAgentSettings, startMetadataAgent } from '../server/metadataAgent.js';
import { runMain } from './run.js';

// Named once, given as the type argument: inferring it from the literal is more than tsc can represent.
const metadataAgentGroups = [metadataAgentOptions] as const;

runMain('nucleon-metadata-agent', () =>
  runAgentProcess<typeof metadataAgentGroups, MetadataAgentSettings>(
    {
      name: 'nucleon-metadata-agent',
      groups: metadataAgentGroups,
      settings: (loaded) => metadataAgentSettings(loaded),
      start: ({ settings, bus, log }) => startMetadataAgent(settings, bus, log),
      dryRun: async ({ settings }) => describeMetadataAgent(settings),
    },
    process.argv.slice(2),
  ),
);

/**
 * nucleon-dhcp-agent --config-file neutron.conf --config-file dhcp_agent.ini [--dry-run]
 * The DHCP agent (dnsmasq in qdhcp-<network> namespaces) on this host, talking to the server over RabbitMQ.
 */
import { runAgentProcess } from '../server/agentProcess.js';
import type { DhcpAgentSettings } from '../agents/dhcp/dhcpAgent.js';
import { dhcpAgentGroups, dhcpAgentSettings, planDhcpAgent, startDhcpAgent } from '../server/dhcpAgent.js';
import { runMain } from './run.js';

runMain('nucleon-dhcp-agent', () =>
  runAgentProcess<typeof dhcpAgentGroups, DhcpAgentSettings>(
    {
      name: 'nucleon-dhcp-agent',
      groups: dhcpAgentGroups,
      settings: dhcpAgentSettings,
      start: ({ settings, bus, log }) => startDhcpAgent(settings, bus, log),
      dryRun: ({ settings, bus, log }) => planDhcpAgent(settings, bus, log),
    },
    process.argv.slice(2),
  ),
);

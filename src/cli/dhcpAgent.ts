/**
 * nucleon-dhcp-agent --config-file neutron.conf --config-file dhcp_agent.ini [--dry-run]
 * The DHCP agent (dnsmasq in qdhcp-<network> namespaces) on this host, talking to the server over RabbitMQ.
 */
import { runAgentProcess } from '../server/agentProcess.js';
import type { DhcpAgentSettings } from '../agents/dhcp/dhcpAgent.js';
import { dhcpAgentGroups, dhcpAgentSettings, planDhcpAgent, startDhcpAgent } from '../server/dhcpAgent.js';
import { registerDnsmasqMetrics } from '../server/dnsmasqMetrics.js';
import { runMain } from './run.js';

runMain('nucleon-dhcp-agent', () =>
  runAgentProcess<typeof dhcpAgentGroups, DhcpAgentSettings>(
    {
      name: 'nucleon-dhcp-agent',
      groups: dhcpAgentGroups,
      settings: dhcpAgentSettings,
      start: async ({ settings, bus, log, metrics }) => {
        const agent = await startDhcpAgent(settings, bus, log);
        if (metrics) registerDnsmasqMetrics(agent.counters, metrics);
        return agent;
      },
      dryRun: ({ settings, bus, log }) => planDhcpAgent(settings, bus, log),
    },
    process.argv.slice(2),
  ),
);

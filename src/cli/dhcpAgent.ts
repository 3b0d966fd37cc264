/**
 * nucleon-dhcp-agent --config-file neutron.conf --config-file dhcp_agent.ini [--dry-run]
 * The DHCP agent (dnsmasq in qdhcp-<network> namespaces) on this host, talking to the server over RabbitMQ.
 */
import { runAgentProcess } from '../server/agentProcess.js';
import { dhcpAgentGroups, dhcpAgentSettings, planDhcpAgent, startDhcpAgent } from '../server/dhcpAgent.js';
import { runMain } from './run.js';

runMain('nucleon-dhcp-agent', () =>
  runAgentProcess<typeof dhcpAgentGroups>(
    {
      name: 'nucleon-dhcp-agent',
      groups: dhcpAgentGroups,
      start: ({ loaded, bus, log }) => startDhcpAgent(dhcpAgentSettings(loaded), bus, log),
      dryRun: ({ loaded, bus, log }) => planDhcpAgent(dhcpAgentSettings(loaded), bus, log),
    },
    process.argv.slice(2),
  ),
);

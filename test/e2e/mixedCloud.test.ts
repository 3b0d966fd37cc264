/**
 * A mixed cloud: Neutron's own agents (Debian's neutron-linuxbridge-agent
 * and neutron-dhcp-agent, Zed) on a simulated host, driven by Nucleon's
 * server over RabbitMQ, as an operator who swaps neutron-server for
 * nucleon-server and keeps the agents on the compute nodes would run them.
 * They register and stay alive, wire the ports (ACTIVE), serve DHCP leases,
 * and the VMs ping each other. Runs as root; skipped otherwise (and, outside
 * CI, when the Neutron agents are not installed).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { createTestVhost, type TestVhost } from '../rpc/helpers.js';
import { asProject, startTestApi, type TestApi } from '../helpers/testApi.js';
import { kernelSkip, underCi } from '../helpers/kernel.js';
import { inNs, Lab, LAB_PROGRAMS, type AgentProcess, type LabHost } from './lab.js';
import { eventually } from '../helpers/eventually.js';

const NEUTRON_AGENTS = ['/usr/bin/neutron-linuxbridge-agent', '/usr/bin/neutron-dhcp-agent'];
const missing = NEUTRON_AGENTS.filter((path) => !existsSync(path));
const unavailable =
  (await kernelSkip(LAB_PROGRAMS)) || (missing.length > 0 && !underCi() ? `Neutron's agents are not installed (${missing.join(', ')})` : false);
const PROJECT = 'mixed-project';

interface Port {
  id: string;
  status: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
}

describe("Neutron's agents on nucleon-server", { skip: unavailable, timeout: 240_000 }, () => {
  const lab = new Lab();
  let vhost: TestVhost;
  let api: TestApi;
  let h1: LabHost;
  const agents: AgentProcess[] = [];
  let networkId: string;
  const ports: Port[] = [];
  const vms: string[] = [];

  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    return path;
  };
  const portOf = async (id: string): Promise<Port> => (await api.request('GET', `/v2.0/ports/${id}`)).body.port as Port;

  before(async () => {
    assert.deepEqual(missing, [], "Neutron's agents (Debian's neutron-linuxbridge-agent, neutron-dhcp-agent) are needed");
    await lab.setUp(1);
    [h1] = lab.hosts as [LabHost];
    vhost = await createTestVhost();
    api = await startTestApi(`sqlite:///${lab.dir}/server.sqlite`, {
      DEFAULT: { transport_url: vhost.url, agent_down_time: 10 },
      ml2: { type_drivers: ['local', 'flat', 'vlan', 'vxlan'], tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['2001:2100'] },
    });
    await lab.forward(5672);
    await lab.forward(Number(new URL(api.url).port));
    const transportUrl = vhost.url.replace(/^rabbit:\/\/[^@]*@[^/]*/, 'rabbit://guest:guest@127.0.0.1:5672');
    // As the install guide writes them, with root as its own root helper (the lab runs as root).
    const neutronConf = write(
      join(h1.dir, 'neutron.conf'),
      `[DEFAULT]\nhost = ${h1.name}\nstate_path = ${h1.dir}\ntransport_url = ${transportUrl}\ndebug = true\n` +
        `[agent]\nroot_helper =\nreport_interval = 2\n[oslo_concurrency]\nlock_path = ${h1.dir}/lock\n`,
    );
    const linuxbridge = write(
      join(h1.dir, 'linuxbridge_agent.ini'),
      `[linux_bridge]\nphysical_interface_mappings =\n[vxlan]\nenable_vxlan = true\nlocal_ip = ${h1.vtep}\nl2_population = true\n` +
        '[agent]\npolling_interval = 1\n[securitygroup]\nenable_security_group = true\nfirewall_driver = iptables\n',
    );
    const dhcp = write(join(h1.dir, 'dhcp_agent.ini'), '[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = false\nresync_interval = 2\n');
    agents.push(lab.startOnHost(h1, 'neutron-linuxbridge-agent', NEUTRON_AGENTS[0]!, ['--config-file', neutronConf, '--config-file', linuxbridge]));
    agents.push(lab.startOnHost(h1, 'neutron-dhcp-agent', NEUTRON_AGENTS[1]!, ['--config-file', neutronConf, '--config-file', dhcp]));
  });

  after(async () => {
    if (process.env.NUCLEON_E2E_LOGS) for (const agent of agents) console.error(`--- ${agent.name}\n${agent.output()}`);
    await lab.teardown();
    await api?.close();
    await vhost?.drop();
  });

  it('registers both agents, alive, with what Neutron reports', async () => {
    type Agent = { agent_type: string; host: string; alive: boolean; binary: string; configurations: Record<string, unknown> };
    const listed = await eventually('both Neutron agents alive', async () => {
      const list = (await api.request('GET', '/v2.0/agents')).body.agents as Agent[];
      const alive = list.filter((agent) => agent.alive && agent.host === h1.name);
      return alive.length === 2 ? alive : undefined;
    }, 60_000);
    const byType = new Map(listed.map((agent) => [agent.agent_type, agent]));
    assert.equal(byType.get('Linux bridge agent')?.binary, 'neutron-linuxbridge-agent');
    assert.equal(byType.get('Linux bridge agent')?.configurations['tunneling_ip'], h1.vtep);
    assert.equal(byType.get('DHCP agent')?.binary, 'neutron-dhcp-agent');
  });

  it('wires two VMs (ports ACTIVE), gives them their addresses from its dnsmasq, and they ping', async () => {
    const network = await api.request('POST', '/v2.0/networks', { network: { name: 'mixed' } }, asProject(PROJECT));
    assert.equal(network.status, 201, JSON.stringify(network.body));
    networkId = network.body.network.id;
    const subnet = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.245.0.0/24' } }, asProject(PROJECT));
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const apiUrl = `http://127.0.0.1:${new URL(api.url).port}`;
    for (const name of ['vm1', 'vm2']) {
      const created = await api.request(
        'POST',
        '/v2.0/ports',
        { port: { network_id: networkId, name, device_owner: 'compute:nova', device_id: randomUUID() } },
        asProject(PROJECT),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const port = created.body.port as Port;
      ports.push(port);
      const vm = await lab.vm();
      vms.push(vm);
      await lab.plug(h1, port.id, vm, apiUrl);
    }
    await eventually('both ports ACTIVE', async () => (await Promise.all(ports.map((p) => portOf(p.id)))).every((p) => p.status === 'ACTIVE'), 60_000);
    for (const [i, vm] of vms.entries()) {
      const lease = await eventually(`a lease for ${vm}`, () => lab.dhcp(vm), 60_000);
      assert.equal(lease.ip, ports[i]!.fixed_ips[0]!.ip_address);
    }
    await inNs(vms[0]!, 'ping', '-c', '3', '-W', '1', ports[1]!.fixed_ips[0]!.ip_address);
    assert.match(await lab.onHost(h1, 'ip', 'netns', 'list'), new RegExp(`qdhcp-${networkId}`));
  });
});

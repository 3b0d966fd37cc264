/**
 * Mixed clouds, both ways, on simulated hosts (lab.ts) and RabbitMQ:
 *
 *   - Neutron's own agents (Debian's neutron-linuxbridge-agent,
 *     neutron-dhcp-agent, neutron-metadata-agent and neutron-l3-agent, Zed)
 *     driven by Nucleon's server: the operator swaps neutron-server for
 *     nucleon-server and keeps the agents (and Neutron's L3 agent builds a
 *     router's interface);
 *   - Nucleon's Linux bridge, DHCP and metadata agents driven by Neutron's
 *     own server (Debian's neutron-server, Zed, on MariaDB, noauth): the
 *     operator keeps the server and rolls Nucleon's agents out host by host.
 *
 * Both with the same configuration files, written as the install guide
 * writes them. Each time the agents register alive, two VMs plugged with
 * `nucleon plug` go ACTIVE, get their addresses from the DHCP agent's
 * dnsmasq, ping each other through the Linux bridge agent's firewall, and
 * a VM's metadata request reaches a Nova double signed.
 * Runs as root; skipped otherwise (and, outside CI, without Neutron's packages).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { createTestVhost, type TestVhost } from '../rpc/helpers.js';
import { asProject, startTestApi, type TestApi } from '../helpers/testApi.js';
import { kernelSkip, underCi } from '../helpers/kernel.js';
import { inNs, Lab, LAB_PROGRAMS, type AgentProcess, type LabHost } from './lab.js';
import { startNovaDouble, type NovaDouble } from './novaDouble.js';
import { NEUTRON_SERVER, startNeutronServer, type ApiResponse, type NeutronServer, type Request } from './neutronServer.js';
import { eventually } from '../helpers/eventually.js';

const NEUTRON = {
  server: NEUTRON_SERVER,
  linuxbridge: '/usr/bin/neutron-linuxbridge-agent',
  dhcp: '/usr/bin/neutron-dhcp-agent',
  metadata: '/usr/bin/neutron-metadata-agent',
  l3: '/usr/bin/neutron-l3-agent',
} as const;
const missing = Object.values(NEUTRON).filter((path) => !existsSync(path));
const unavailable =
  (await kernelSkip(LAB_PROGRAMS)) || (missing.length > 0 && !underCi() ? `Neutron's packages are not installed (${missing.join(', ')})` : false);
const PROJECT = 'mixed-project';
const METADATA_SECRET = 'mixed-metadata-secret';


interface Agent {
  agent_type: string;
  host: string;
  alive: boolean;
  binary: string;
  configurations: Record<string, unknown>;
}

/** One simulated host's configuration files, as the install guide writes them (root is its own root helper). */
function hostConfigs(host: LabHost, transportUrl: string, metadataSocket?: string): { neutron: string; linuxbridge: string; dhcp: string } {
  const write = (name: string, text: string) => {
    const path = join(host.dir, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    neutron: write(
      'neutron.conf',
      `[DEFAULT]\nhost = ${host.name}\nstate_path = ${host.dir}\ntransport_url = ${transportUrl}\ndebug = true\n` +
        (metadataSocket === undefined ? '' : `metadata_proxy_socket = ${metadataSocket}\n`) +
        `[agent]\nroot_helper =\nreport_interval = 2\n[oslo_concurrency]\nlock_path = ${host.dir}/lock\n`,
    ),
    linuxbridge: write(
      'linuxbridge_agent.ini',
      `[linux_bridge]\nphysical_interface_mappings =\n[vxlan]\nenable_vxlan = true\nlocal_ip = ${host.vtep}\nl2_population = true\n` +
        '[agent]\npolling_interval = 1\n[securitygroup]\nenable_security_group = true\nfirewall_driver = iptables\n',
    ),
    dhcp: write('dhcp_agent.ini', `[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = ${metadataSocket !== undefined}\nresync_interval = 2\n`),
  };
}

/** The broker as seen from inside a host (lab.forward relays 127.0.0.1:5672). */
const fromHost = (vhost: TestVhost) => vhost.url.replace(/^rabbit:\/\/[^@]*@[^/]*/, 'rabbit://guest:guest@127.0.0.1:5672');

async function expectAgentsAlive(listAgents: () => Promise<ApiResponse>, host: LabHost, binaries: Record<string, string>): Promise<void> {
  const alive = await eventually(
    `both agents of ${host.name} alive`,
    async () => {
      const listed = ((await listAgents()).body.agents ?? []) as Agent[];
      const mine = listed.filter((agent) => agent.alive && agent.host === host.name && agent.agent_type in binaries);
      return mine.length === Object.keys(binaries).length ? mine : undefined;
    },
    60_000,
  );
  const byType = new Map(alive.map((agent) => [agent.agent_type, agent]));
  assert.equal(byType.get('Linux bridge agent')?.binary, binaries['Linux bridge agent']);
  assert.equal(byType.get('Linux bridge agent')?.configurations['tunneling_ip'], host.vtep);
  assert.equal(byType.get('DHCP agent')?.binary, binaries['DHCP agent']);
}

interface Vm {
  readonly vm: string;
  readonly id: string;
  readonly ip: string;
  readonly deviceId: string;
}

/** A network, a subnet, two VMs plugged on `host`: both ports ACTIVE, both leased by dnsmasq, and a ping. */
async function expectVmsTalk(lab: Lab, host: LabHost, request: Request, apiUrl: string, cidr: string): Promise<Vm[]> {
  const network = await request('POST', '/v2.0/networks', { network: { name: 'mixed' } });
  assert.equal(network.status, 201, JSON.stringify(network.body));
  const networkId = network.body.network.id as string;
  const subnet = await request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr } });
  assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
  const vms: Vm[] = [];
  for (const name of ['vm1', 'vm2']) {
    const deviceId = randomUUID();
    const created = await request('POST', '/v2.0/ports', { port: { network_id: networkId, name, device_owner: 'compute:nova', device_id: deviceId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const vm = await lab.vm();
    await lab.plug(host, created.body.port.id, vm, apiUrl);
    vms.push({ vm, id: created.body.port.id, ip: created.body.port.fixed_ips[0].ip_address, deviceId });
  }
  await eventually(
    'both ports ACTIVE',
    async () => (await Promise.all(vms.map(async ({ id }) => (await request('GET', `/v2.0/ports/${id}`)).body.port.status))).every((s) => s === 'ACTIVE'),
    60_000,
  );
  for (const { vm, ip } of vms) assert.equal((await eventually(`a lease for ${vm}`, () => lab.dhcp(vm), 60_000)).ip, ip);
  await inNs(vms[0]!.vm, 'ping', '-c', '3', '-W', '1', vms[1]!.ip);
  assert.match(await lab.onHost(host, 'ip', 'netns', 'list'), new RegExp(`qdhcp-${networkId}`));
  return vms;
}

/** A metadata agent beside the server (`start` runs it with the config file), in front of a Nova double. */
async function startMetadata(lab: Lab, transportUrl: string, socket: string, start: (conf: string) => AgentProcess): Promise<{ nova: NovaDouble; agent: AgentProcess }> {
  const nova = await startNovaDouble(METADATA_SECRET);
  const controller = join(lab.dir, 'controller');
  mkdirSync(controller);
  const conf = join(controller, 'neutron.conf');
  writeFileSync(
    conf,
    `[DEFAULT]\nhost = controller\nstate_path = ${controller}\ntransport_url = ${transportUrl}\nmetadata_proxy_socket = ${socket}\n` +
      `nova_metadata_host = 127.0.0.1\nnova_metadata_port = ${nova.port}\nmetadata_proxy_shared_secret = ${METADATA_SECRET}\n` +
      `[agent]\nroot_helper =\nreport_interval = 2\n[oslo_concurrency]\nlock_path = ${controller}/lock\n`,
  );
  return { nova, agent: start(conf) };
}

/** The metadata agent alive, and a VM's request answered through its DHCP namespace's proxy, signed for Nova. */
async function expectMetadata(vm: Vm | undefined, nova: NovaDouble, listAgents: () => Promise<ApiResponse>): Promise<void> {
  assert.ok(vm, 'the VMs of the test before');
  await eventually(
    'the metadata agent alive',
    async () => ((await listAgents()).body.agents as Agent[]).some((a) => a.agent_type === 'Metadata agent' && a.alive && a.binary === 'neutron-metadata-agent'),
    30_000,
  );
  const fetchInstance = () => inNs(vm.vm, 'curl', '--noproxy', '*', '-s', '-m', '5', 'http://169.254.169.254/latest/meta-data/instance-id').catch(() => '');
  assert.equal(await eventually('metadata', async () => (await fetchInstance()) || undefined, 30_000), vm.deviceId);
  const seen = nova.requests.at(-1)!;
  assert.equal(seen.signatureValid, true);
  assert.equal(seen.headers['x-instance-id'], vm.deviceId);
  assert.equal(seen.headers['x-tenant-id'], PROJECT);
}

describe('mixed clouds', { skip: unavailable, timeout: 300_000 }, () => {
  before(() => {
    assert.deepEqual(missing, [], "Neutron's packages (neutron-common's server and agents) are needed");
  });

  describe("Neutron's agents on nucleon-server", () => {
    const lab = new Lab();
    let vhost: TestVhost;
    let api: TestApi;
    let nova: NovaDouble;
    let h1: LabHost;
    let vms: Vm[] = [];
    const agents: AgentProcess[] = [];
    const request: Request = (method, path, body) => api.request(method, path, body, asProject(PROJECT));

    before(async () => {
      await lab.setUp(1);
      [h1] = lab.hosts as [LabHost];
      vhost = await createTestVhost();
      api = await startTestApi(`sqlite:///${lab.dir}/server.sqlite`, {
        DEFAULT: { transport_url: vhost.url, agent_down_time: 10, service_plugins: ['router'] },
        ml2: { type_drivers: ['local', 'flat', 'vlan', 'vxlan'], tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
        ml2_type_vxlan: { vni_ranges: ['2001:2100'] },
      });
      await lab.forward(5672);
      await lab.forward(Number(new URL(api.url).port));
      const socket = join(lab.dir, 'metadata_proxy');
      const files = hostConfigs(h1, fromHost(vhost), socket);
      agents.push(lab.startOnHost(h1, 'neutron-linuxbridge-agent', NEUTRON.linuxbridge, ['--config-file', files.neutron, '--config-file', files.linuxbridge]));
      agents.push(lab.startOnHost(h1, 'neutron-dhcp-agent', NEUTRON.dhcp, ['--config-file', files.neutron, '--config-file', files.dhcp]));
      const l3 = join(h1.dir, 'l3_agent.ini');
      writeFileSync(l3, '[DEFAULT]\ninterface_driver = linuxbridge\nagent_mode = legacy\n');
      agents.push(lab.startOnHost(h1, 'neutron-l3-agent', NEUTRON.l3, ['--config-file', files.neutron, '--config-file', l3]));
      let metadataAgent: AgentProcess;
      ({ nova, agent: metadataAgent } = await startMetadata(lab, vhost.url, socket, (conf) => lab.startCommand('neutron-metadata-agent', NEUTRON.metadata, ['--config-file', conf])));
      agents.push(metadataAgent);
    });

    after(async () => {
      if (process.env.NUCLEON_E2E_LOGS) for (const agent of agents) console.error(`--- ${agent.name}\n${agent.output()}`);
      await lab.teardown();
      await api?.close();
      await nova?.close();
      await vhost?.drop();
    });

    it('registers both agents, alive, as Neutron reports them', async () => {
      await expectAgentsAlive(() => api.request('GET', '/v2.0/agents'), h1, { 'Linux bridge agent': 'neutron-linuxbridge-agent', 'DHCP agent': 'neutron-dhcp-agent' });
    });

    it('wires two VMs (ports ACTIVE), leases their addresses from its dnsmasq, and they ping', async () => {
      vms = await expectVmsTalk(lab, h1, request, `http://127.0.0.1:${new URL(api.url).port}`, '10.245.0.0/24');
    });

    it("answers a VM's metadata request through its DHCP namespace's proxy and its metadata agent, signed for Nova", async () => {
      await expectMetadata(vms[0], nova, () => api.request('GET', '/v2.0/agents'));
    });

    it("builds the router the API describes with its L3 agent: the VMs' gateway answers from its qrouter namespace", async () => {
      const [vm1] = vms;
      assert.ok(vm1, 'the VMs of the test before');
      await eventually('the L3 agent alive', async () =>
        ((await api.request('GET', '/v2.0/agents')).body.agents as Agent[]).some((a) => a.agent_type === 'L3 agent' && a.alive && a.binary === 'neutron-l3-agent'),
      30_000);
      const router = await request('POST', '/v2.0/routers', { router: { name: 'mixed-router' } });
      assert.equal(router.status, 201, JSON.stringify(router.body));
      const routerId = router.body.router.id as string;
      const port = (await request('GET', `/v2.0/ports/${vm1.id}`)).body.port;
      const added = await request('PUT', `/v2.0/routers/${routerId}/add_router_interface`, { subnet_id: port.fixed_ips[0].subnet_id });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      await eventually('the router interface ACTIVE', async () => (await api.request('GET', `/v2.0/ports/${added.body.port_id}`)).body.port.status === 'ACTIVE', 60_000);
      assert.match(await lab.onHost(h1, 'ip', 'netns', 'list'), new RegExp(`qrouter-${routerId}`));
      const gateway = port.fixed_ips[0].ip_address.replace(/\.\d+$/, '.1');
      await eventually('the gateway answers', () => inNs(vm1.vm, 'ping', '-c', '1', '-W', '1', gateway).then(() => true, () => false), 30_000);
    });
  });

  describe("Nucleon's agents on neutron-server", () => {
    const lab = new Lab();
    let vhost: TestVhost;
    let h1: LabHost;
    let server: NeutronServer;
    let nova: NovaDouble;
    let vms: Vm[] = [];
    const processes: AgentProcess[] = [];

    before(async () => {
      await lab.setUp(1);
      [h1] = lab.hosts as [LabHost];
      vhost = await createTestVhost();
      server = await startNeutronServer(join(lab.dir, 'neutron-server'), vhost.url, PROJECT);
      await lab.forward(5672);
      await lab.forward(server.port);
      const socket = join(lab.dir, 'metadata_proxy');
      const files = hostConfigs(h1, fromHost(vhost), socket);
      processes.push(lab.startAgent(h1, 'nucleon-linuxbridge-agent.js', ['--config-file', files.neutron, '--config-file', files.linuxbridge]));
      processes.push(lab.startAgent(h1, 'nucleon-dhcp-agent.js', ['--config-file', files.neutron, '--config-file', files.dhcp]));
      let metadataAgent: AgentProcess;
      ({ nova, agent: metadataAgent } = await startMetadata(lab, vhost.url, socket, (conf) => lab.startLocal('nucleon-metadata-agent.js', ['--config-file', conf])));
      processes.push(metadataAgent);
    });

    after(async () => {
      if (process.env.NUCLEON_E2E_LOGS) for (const p of [...processes, { name: 'neutron-server', output: () => server?.output() ?? '' }]) console.error(`--- ${p.name}\n${p.output()}`);
      await server?.stop();
      await lab.teardown();
      await nova?.close();
      await vhost?.drop();
    });

    it('registers both agents, alive, in the Neutron server', async () => {
      await expectAgentsAlive(() => server.request('GET', '/v2.0/agents'), h1, { 'Linux bridge agent': 'neutron-linuxbridge-agent', 'DHCP agent': 'neutron-dhcp-agent' });
    });

    it('wires two VMs (ports ACTIVE), leases their addresses from its dnsmasq, and they ping', async () => {
      vms = await expectVmsTalk(lab, h1, server.request, server.url, '10.246.0.0/24');
    });

    it("answers a VM's metadata request through its DHCP namespace's proxy and its metadata agent, signed for Nova", async () => {
      await expectMetadata(vms[0], nova, () => server.request('GET', '/v2.0/agents'));
    });
  });
});

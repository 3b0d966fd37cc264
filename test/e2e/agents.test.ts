/**
 * The agents end to end, on real kernel devices in network namespaces
 * (lab.ts): a controller (the API server, RabbitMQ as the bus, a Nova
 * metadata double), two simulated hosts each running the Linux bridge agent
 * (filtering with security groups, as the book configures it), the DHCP agent on h1, the L3 agent on h2, the metadata agent beside the
 * controller, and VMs plugged into ports with `nucleon plug`. Runs as root;
 * skipped otherwise.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { linkLocalOf } from '../../src/agents/l2/firewall/ruleset.js';
import { createTestVhost, type TestVhost } from '../rpc/helpers.js';
import { asProject, startTestApi, type TestApi } from '../helpers/testApi.js';
import { kernelSkip } from '../helpers/kernel.js';
import { configArgs, inNs, Lab, LAB_PROGRAMS, sh, type AgentProcess, type LabHost } from './lab.js';
import { eventually } from '../helpers/eventually.js';
import { startNovaDouble, type NovaDouble } from './novaDouble.js';

const unavailable = await kernelSkip(LAB_PROGRAMS);
const SECRET = 'e2e-shared-secret';
const PROJECT = 'e2e-project';
const AGENT_DOWN_TIME = 8;

interface Port {
  id: string;
  mac_address: string;
  status: string;
  device_id: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
}

describe('agents end to end in network namespaces', { skip: unavailable, timeout: 240_000 }, () => {
  const lab = new Lab();
  let vhost: TestVhost;
  let api: TestApi;
  let nova: NovaDouble;
  let h1: LabHost;
  let h2: LabHost;
  const agents = new Map<string, AgentProcess>();
  const configs = new Map<string, string[]>();
  let networkId: string;
  let vxlanId: number;
  let p1: Port;
  let p2: Port;
  let vm1: string;
  let vm2: string;

  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    return path;
  };
  const portOf = async (id: string): Promise<Port> => (await api.request('GET', `/v2.0/ports/${id}`)).body.port as Port;
  const ipOf = (port: Port) => port.fixed_ips[0]!.ip_address;
  const bridge = () => `brq${networkId.slice(0, 11)}`;
  const start = (key: string, host: LabHost | undefined, bin: string) => {
    const files = configArgs(configs.get(key)!);
    agents.set(key, host ? lab.startAgent(host, bin, files) : lab.startLocal(bin, files));
  };
  const aliveAgents = async () => {
    const list = (await api.request('GET', '/v2.0/agents')).body.agents as { agent_type: string; host: string; alive: boolean }[];
    return list.filter((agent) => agent.alive).map((agent) => `${agent.agent_type}@${agent.host}`);
  };

  before(async () => {
    await lab.setUp(2);
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    vhost = await createTestVhost();
    nova = await startNovaDouble(SECRET);
    api = await startTestApi(`sqlite:///${lab.dir}/server.sqlite`, {
      DEFAULT: { transport_url: vhost.url, agent_down_time: AGENT_DOWN_TIME, service_plugins: ['router'] },
      ml2: { type_drivers: ['local', 'flat', 'vlan', 'vxlan'], tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['1001:1100'] },
    });
    const apiPort = Number(new URL(api.url).port);
    await lab.forward(5672);
    await lab.forward(apiPort);

    const socket = join(lab.dir, 'metadata_proxy');
    const common = (host: string, dir: string) =>
      `[DEFAULT]\nhost = ${host}\nstate_path = ${dir}\ntransport_url = ${vhost.url.replace(/^rabbit:\/\/[^@]*@[^/]*/, 'rabbit://guest:guest@127.0.0.1:5672')}\nmetadata_proxy_socket = ${socket}\ndebug = true\n[agent]\nreport_interval = 2\n`;
    for (const host of [h1, h2]) {
      const neutron = write(join(host.dir, 'neutron.conf'), common(host.name, host.dir));
      const linuxbridge = write(
        join(host.dir, 'linuxbridge_agent.ini'),
        `[vxlan]\nenable_vxlan = true\nlocal_ip = ${host.vtep}\nl2_population = true\n[agent]\npolling_interval = 1\n` +
          '[securitygroup]\nenable_security_group = true\nfirewall_driver = neutron.agent.linux.iptables_firewall.IptablesFirewallDriver\n',
      );
      configs.set(`l2@${host.name}`, [neutron, linuxbridge]);
    }
    const dhcpIni = write(join(h1.dir, 'dhcp_agent.ini'), '[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = true\nresync_interval = 2\n');
    configs.set('dhcp@h1', [join(h1.dir, 'neutron.conf'), dhcpIni]);
    const l3Ini = write(join(h2.dir, 'l3_agent.ini'), '[DEFAULT]\ninterface_driver = linuxbridge\nperiodic_interval = 2\n');
    configs.set('l3@h2', [join(h2.dir, 'neutron.conf'), l3Ini]);
    const controllerDir = join(lab.dir, 'controller');
    await sh('mkdir', ['-p', controllerDir]);
    const metadataIni = write(
      join(controllerDir, 'metadata_agent.ini'),
      `[DEFAULT]\nnova_metadata_host = 127.0.0.1\nnova_metadata_port = ${nova.port}\nmetadata_proxy_shared_secret = ${SECRET}\n`,
    );
    configs.set('metadata', [write(join(controllerDir, 'neutron.conf'), common('controller', controllerDir)), metadataIni]);

    start('l2@h1', h1, 'nucleon-linuxbridge-agent.js');
    start('l2@h2', h2, 'nucleon-linuxbridge-agent.js');
    start('dhcp@h1', h1, 'nucleon-dhcp-agent.js');
    start('l3@h2', h2, 'nucleon-l3-agent.js');
    start('metadata', undefined, 'nucleon-metadata-agent.js');
  });

  after(async () => {
    if (process.env.NUCLEON_E2E_LOGS) for (const agent of agents.values()) console.error(`--- ${agent.name}\n${agent.output()}`);
    await lab.teardown();
    await api?.close();
    await nova?.close();
    await vhost?.drop();
  });

  it('shows every agent alive', async () => {
    const expected = ['Linux bridge agent@h1', 'Linux bridge agent@h2', 'DHCP agent@h1', 'L3 agent@h2', 'Metadata agent@controller'];
    await eventually('all five agents alive', async () => {
      const alive = await aliveAgents();
      return expected.every((agent) => alive.includes(agent));
    }, 30_000);
  });

  it('gives VMs on two hosts their addresses over DHCP, makes their ports ACTIVE and lets them ping across VXLAN', async () => {
    const network = await api.request('POST', '/v2.0/networks', { network: { name: 'e2e' } }, asProject(PROJECT));
    assert.equal(network.status, 201, JSON.stringify(network.body));
    networkId = network.body.network.id;
    vxlanId = (await api.request('GET', `/v2.0/networks/${networkId}`)).body.network['provider:segmentation_id'];
    assert.equal(network.body.network.mtu, 1450);
    const subnet = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.244.0.0/24' } }, asProject(PROJECT));
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const createPort = async (name: string) => {
      const created = await api.request(
        'POST',
        '/v2.0/ports',
        { port: { network_id: networkId, name, device_owner: 'compute:nova', device_id: randomUUID() } },
        asProject(PROJECT),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.port as Port;
    };
    p1 = await createPort('vm1');
    p2 = await createPort('vm2');
    vm1 = await lab.vm();
    vm2 = await lab.vm();
    const apiUrl = `http://127.0.0.1:${new URL(api.url).port}`;
    await lab.plug(h1, p1.id, vm1, apiUrl);
    await lab.plug(h2, p2.id, vm2, apiUrl);

    await eventually('both ports ACTIVE', async () => (await portOf(p1.id)).status === 'ACTIVE' && (await portOf(p2.id)).status === 'ACTIVE', 20_000);
    const lease1 = await eventually('a lease for vm1', () => lab.dhcp(vm1), 20_000);
    const lease2 = await eventually('a lease for vm2', () => lab.dhcp(vm2), 20_000);
    assert.equal(lease1.ip, ipOf(p1));
    assert.equal(lease2.ip, ipOf(p2));
    assert.equal(lease1.mtu, '1450');
    assert.match(lease1.staticroutes ?? '', /169\.254\.169\.254\/32/);
    await inNs(vm1, 'ping', '-c', '3', '-W', '1', ipOf(p2));
    // The DHCP namespace is h1's own: in its /run/netns, not the machine's.
    assert.match(await lab.onHost(h1, 'ip', 'netns', 'list'), new RegExp(`qdhcp-${networkId}`));
    assert.doesNotMatch(await sh('ip', ['netns', 'list']), new RegExp(`qdhcp-${networkId}`));
  });

  it('forwards metadata requests to Nova signed, ignoring headers the VM sends itself', async () => {
    const before = nova.requests.length;
    const answer = await inNs(vm1, 'curl', '--noproxy', '*', '-s', '-m', '10', '-H', 'X-Instance-ID: spoofed', '-H', `X-Forwarded-For: ${ipOf(p2)}`, 'http://169.254.169.254/latest/meta-data/instance-id');
    assert.equal(answer, p1.device_id);
    const seen = nova.requests.slice(before);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.signatureValid, true);
    assert.equal(seen[0]!.headers['x-instance-id'], p1.device_id);
    assert.equal(seen[0]!.headers['x-tenant-id'], PROJECT);
    assert.equal(String(seen[0]!.headers['x-forwarded-for']).split(',').at(-1)!.trim(), ipOf(p1));
  });

  it('answers metadata through a router: its proxy in qrouter on h2 names the router, and Nova sees the instance signed', async () => {
    const router = await api.request('POST', '/v2.0/routers', { router: { name: 'e2e-router' } }, asProject(PROJECT));
    assert.equal(router.status, 201, JSON.stringify(router.body));
    const routerId = router.body.router.id as string;
    const added = await api.request('PUT', `/v2.0/routers/${routerId}/add_router_interface`, { subnet_id: p1.fixed_ips[0]!.subnet_id }, asProject(PROJECT));
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await eventually('the router interface ACTIVE (wired by the L2 agent of h2)', async () => (await portOf(added.body.port_id)).status === 'ACTIVE', 30_000);
    assert.match(await lab.onHost(h2, 'ip', 'netns', 'list'), new RegExp(`qrouter-${routerId}`));
    // vm1 sends its metadata requests to its gateway, as an instance on a routed network does.
    const metadataRoute = (await inNs(vm1, 'ip', 'route', 'show', '169.254.169.254')).trim();
    await inNs(vm1, 'ip', 'route', 'replace', '169.254.169.254', 'via', '10.244.0.1');
    try {
      const before = nova.requests.length;
      const fetchInstance = () => inNs(vm1, 'curl', '--noproxy', '*', '-s', '-m', '5', 'http://169.254.169.254/latest/meta-data/instance-id').catch(() => '');
      assert.equal(await eventually('metadata through the router', async () => (await fetchInstance()) || undefined, 20_000), p1.device_id);
      const seen = nova.requests.slice(before).at(-1)!;
      assert.equal(seen.signatureValid, true);
      assert.equal(seen.headers['x-instance-id'], p1.device_id);
      assert.equal(seen.headers['x-tenant-id'], PROJECT);
      assert.equal(String(seen.headers['x-forwarded-for']).split(',').at(-1)!.trim(), ipOf(p1));
    } finally {
      if (metadataRoute !== '') await inNs(vm1, 'ip', 'route', 'replace', ...metadataRoute.split(/\s+/));
      else await inNs(vm1, 'ip', 'route', 'del', '169.254.169.254');
    }
    const removed = await api.request('PUT', `/v2.0/routers/${routerId}/remove_router_interface`, { subnet_id: p1.fixed_ips[0]!.subnet_id }, asProject(PROJECT));
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal((await api.request('DELETE', `/v2.0/routers/${routerId}`, undefined, asProject(PROJECT))).status, 204);
    await eventually('the router namespace gone from h2', async () => !(await lab.onHost(h2, 'ip', 'netns', 'list')).includes(`qrouter-${routerId}`), 20_000);
  });

  it('black-holes full-size frames from a VM that ignores the network MTU, and the DHCP-pushed MTU fixes it', async () => {
    await inNs(vm1, 'ip', 'link', 'set', 'eth0', 'mtu', '1500');
    await assert.rejects(inNs(vm1, 'ping', '-c', '2', '-W', '1', '-M', 'do', '-s', '1472', ipOf(p2)));
    const lease = await lab.dhcp(vm1);
    assert.equal(lease.mtu, '1450');
    assert.match(await inNs(vm1, 'ip', 'link', 'show', 'eth0'), /mtu 1450/);
    await inNs(vm1, 'ping', '-c', '2', '-W', '1', '-M', 'do', '-s', '1422', ipOf(p2));
  });

  describe('security groups on the wire', () => {
    let locked: string;
    let defaultGroup: string;
    const reaches = (vm: string, ip: string, port?: number, ...options: string[]) =>
      (port === undefined ? inNs(vm, 'ping', '-c', '1', '-W', '1', ...options, ip) : inNs(vm, 'nc', '-z', '-w', '1', ip, String(port))).then(
        () => true,
        () => false,
      );
    const updatePort = async (id: string, port: Record<string, unknown>) => {
      const updated = await api.request('PUT', `/v2.0/ports/${id}`, { port }, asProject(PROJECT));
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
    };
    const addRule = async (rule: Record<string, unknown>): Promise<string> => {
      const created = await api.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: locked, direction: 'ingress', ...rule } }, asProject(PROJECT));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.security_group_rule.id as string;
    };
    const deleteRule = async (id: string) => assert.equal((await api.request('DELETE', `/v2.0/security-group-rules/${id}`, undefined, asProject(PROJECT))).status, 204);
    const received = () => join(lab.dir, 'received-8080');

    before(async () => {
      const groups = (await api.request('GET', '/v2.0/security-groups?name=default', undefined, asProject(PROJECT))).body.security_groups as { id: string }[];
      defaultGroup = groups[0]!.id;
      const created = await api.request('POST', '/v2.0/security-groups', { security_group: { name: 'locked' } }, asProject(PROJECT));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      locked = created.body.security_group.id;
      // Servers in vm2, their output to files (nc -k keeps listening after each client).
      writeFileSync(received(), '');
      await inNs(vm2, 'sh', '-c', `for p in 22 9000; do nc -lk -p $p </dev/null >/dev/null 2>&1 & done; nc -lk -p 8080 </dev/null >>${received()} 2>&1 &`);
    });

    it('a group without ingress rules shuts a VM off; an ICMP rule opens it within a second; a TCP rule admits only its port', async () => {
      assert.ok(await reaches(vm1, ipOf(p2)), 'both in the default group: vm1 reaches vm2');
      await updatePort(p2.id, { security_groups: [locked] });
      await eventually('vm2 unreachable in a group without ingress rules', async () => !(await reaches(vm1, ipOf(p2))));
      assert.equal(await reaches(vm1, ipOf(p2), 22), false);

      const asked = Date.now();
      await addRule({ protocol: 'icmp', ethertype: 'IPv4' });
      await eventually('ping passes once the ICMP rule is in', () => reaches(vm1, ipOf(p2)));
      const elapsed = Date.now() - asked;
      assert.ok(elapsed < 1500, `rule added -> ping passes took ${elapsed} ms`);

      await addRule({ protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, ethertype: 'IPv4' });
      await eventually('tcp/8080 open', () => reaches(vm1, ipOf(p2), 8080));
      assert.equal(await reaches(vm1, ipOf(p2), 22), false, 'tcp/22 still closed');
      // vm2's own connections out get their replies (egress rules and conntrack): the DHCP port is not filtered...
      const dhcpPorts = (await api.request('GET', `/v2.0/ports?network_id=${networkId}&device_owner=network:dhcp`)).body.ports as Port[];
      assert.ok(await reaches(vm2, ipOf(dhcpPorts[0]!)), 'vm2 reaches the DHCP port');
      // ...but vm1's default group admits only its members, which vm2 no longer is.
      assert.equal(await reaches(vm2, ipOf(p1)), false, 'vm1 refuses vm2');
    });

    it('repairs a firewall table deleted by hand on its next resync', async () => {
      await lab.onHost(h2, 'nft', 'delete', 'table', 'inet', 'nucleon-sg');
      await eventually('the table back: tcp/22 closed again', async () => (await lab.onHost(h2, 'nft', 'list', 'tables')).includes('inet nucleon-sg') && !(await reaches(vm1, ipOf(p2), 22)));
    });

    it('removing the rule cuts an open TCP connection it allowed', async () => {
      const rule = (await api.request('GET', `/v2.0/security-group-rules?security_group_id=${locked}&port_range_min=8080`, undefined, asProject(PROJECT))).body.security_group_rules[0].id as string;
      writeFileSync(received(), '');
      const stream = inNs(vm1, 'sh', '-c', `i=0; while [ $i -lt 60 ]; do echo line$i; i=$((i+1)); sleep 0.1; done | nc -w 2 ${ipOf(p2)} 8080`).catch(() => '');
      await eventually('lines arriving', () => readFileSync(received(), 'utf8').includes('line5'));
      await deleteRule(rule);
      await new Promise((r) => setTimeout(r, 1500));
      const cut = readFileSync(received(), 'utf8').length;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(readFileSync(received(), 'utf8').length, cut, 'nothing more arrives over the open connection');
      assert.doesNotMatch(readFileSync(received(), 'utf8'), /line59/);
      await stream;
    });

    it('a remote group admits the ports that join it and stops those that leave', async () => {
      await addRule({ protocol: 'tcp', port_range_min: 9000, port_range_max: 9000, ethertype: 'IPv4', remote_group_id: locked });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await reaches(vm1, ipOf(p2), 9000), false, 'vm1 is not in the remote group');
      await updatePort(p1.id, { security_groups: [defaultGroup, locked] });
      await eventually('vm1 admitted once its port joins', () => reaches(vm1, ipOf(p2), 9000));
      await updatePort(p1.id, { security_groups: [defaultGroup] });
      await eventually('vm1 refused once its port leaves', async () => !(await reaches(vm1, ipOf(p2), 9000)));
    });

    it('IPv6 neighbour discovery works with groups on; an ICMPv6 rule lets echo through to the link-local address', async () => {
      // The lab's DHCP client flushes eth0's addresses, its link-local one with them: put them back as the kernel makes them.
      for (const [vm, port] of [[vm1, p1], [vm2, p2]] as const) await inNs(vm, 'ip', '-6', 'address', 'replace', `${linkLocalOf(port.mac_address)}/64`, 'dev', 'eth0', 'nodad');
      const target = `${linkLocalOf(p2.mac_address)}%eth0`;
      const ping6 = () => inNs(vm1, 'ping', '-6', '-c', '1', '-W', '1', target).then(() => true, () => false);
      await eventually('vm2 resolved by neighbour discovery (echo itself refused: no ICMPv6 rule)', async () => {
        await ping6();
        const neighbours = await inNs(vm1, 'ip', '-6', 'neigh', 'show', 'dev', 'eth0');
        if (!neighbours.includes(`lladdr ${p2.mac_address}`)) {
          throw new Error(`vm1: ${neighbours} ${await inNs(vm1, 'ip', '-6', 'addr')}; vm2: ${await inNs(vm2, 'ip', '-6', 'addr')}`);
        }
        return true;
      }, 15_000);
      assert.equal(await ping6(), false);
      const rule = await addRule({ protocol: 'ipv6-icmp', ethertype: 'IPv6' });
      await eventually('echo over IPv6 once the rule is in', ping6);
      await deleteRule(rule);
    });

    it('a VM sending from another address or MAC is cut off; an allowed address pair lets the address through', async () => {
      await inNs(vm1, 'ip', 'address', 'add', '10.244.0.250/24', 'dev', 'eth0');
      try {
        assert.equal(await reaches(vm1, ipOf(p2), undefined, '-I', '10.244.0.250'), false, 'a spoofed source address is dropped');
        await updatePort(p1.id, { allowed_address_pairs: [{ ip_address: '10.244.0.250' }] });
        await eventually('the allowed address pair passes', () => reaches(vm1, ipOf(p2), undefined, '-I', '10.244.0.250'));
        await updatePort(p1.id, { allowed_address_pairs: [] });
        await eventually('the address dropped again once the pair is gone', async () => !(await reaches(vm1, ipOf(p2), undefined, '-I', '10.244.0.250')));
      } finally {
        await inNs(vm1, 'ip', 'address', 'del', '10.244.0.250/24', 'dev', 'eth0');
      }
      await inNs(vm1, 'ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:de:ad:01');
      try {
        await inNs(vm1, 'ip', 'neigh', 'flush', 'all');
        await lab.onHost(h2, 'ip', 'neigh', 'flush', 'all').catch(() => '');
        await inNs(vm2, 'ip', 'neigh', 'flush', 'all');
        assert.equal(await reaches(vm1, ipOf(p2)), false, 'a changed MAC is dropped');
      } finally {
        await inNs(vm1, 'ip', 'link', 'set', 'eth0', 'address', p1.mac_address);
        await inNs(vm2, 'ip', 'neigh', 'flush', 'all');
      }
      await eventually('vm1 back with its own MAC', () => reaches(vm1, ipOf(p2)));
    });

    it('a DHCP server in a VM is not heard by the others: its offers are dropped, the VM next door gets its lease from Neutron', async () => {
      await updatePort(p2.id, { security_groups: [locked] });
      // vm2 hears DHCP requests (so its server answers, and the drop is on its answers).
      const rule = await addRule({ protocol: 'udp', port_range_min: 67, port_range_max: 67, ethertype: 'IPv4' });
      const rogue = lab.spawnIn(vm2, 'rogue dhcp', 'dnsmasq', [
        '--no-daemon', '--conf-file=/dev/null', '--port=0', '--interface=eth0', '--bind-interfaces', '--user=root', '--log-dhcp', '--log-facility=-',
        '--dhcp-authoritative', '--dhcp-range=10.244.0.200,10.244.0.210,255.255.255.0,1h', `--dhcp-leasefile=${join(lab.dir, 'rogue.leases')}`,
      ]);
      try {
        await eventually('the rogue server answering DISCOVERs', async () => {
          assert.equal((await lab.dhcp(vm1)).ip, ipOf(p1));
          return rogue.output().includes('DHCPOFFER');
        }, 30_000);
        for (let i = 0; i < 3; i++) assert.equal((await lab.dhcp(vm1)).ip, ipOf(p1), 'vm1 keeps its own address');
      } finally {
        rogue.child.kill('SIGKILL');
        await deleteRule(rule);
      }
    });

    it('port_security_enabled false passes everything; back in the default group the VMs talk again', async () => {
      await updatePort(p2.id, { security_groups: [], port_security_enabled: false });
      await eventually('tcp/22 open without port security', () => reaches(vm1, ipOf(p2), 22));
      await updatePort(p2.id, { port_security_enabled: true, security_groups: [locked] });
      await eventually('tcp/22 closed again with port security back on', async () => !(await reaches(vm1, ipOf(p2), 22)));
      await updatePort(p2.id, { security_groups: [defaultGroup] });
      await eventually('vm1 reaches vm2 in the default group', () => reaches(vm1, ipOf(p2)));
    });

    it('two networks with the same addresses keep their connections apart: one conntrack zone per network', async () => {
      const create = async (path: string, body: Record<string, unknown>) => {
        const created = await api.request('POST', path, body, asProject(PROJECT));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        return created.body;
      };
      const twin = (await create('/v2.0/networks', { network: { name: 'twin' } })).network.id as string;
      const twinSubnet = (await create('/v2.0/subnets', { subnet: { network_id: twin, ip_version: 4, cidr: '10.244.0.0/24', enable_dhcp: false } })).subnet.id as string;
      const apiUrl = `http://127.0.0.1:${new URL(api.url).port}`;
      // The twins of vm1 and vm2: the same addresses on the other network.
      const twins: [string, Port][] = [];
      for (const [host, original] of [[h1, p1], [h2, p2]] as const) {
        const port = (
          await create('/v2.0/ports', {
            port: { network_id: twin, device_owner: 'compute:nova', device_id: randomUUID(), fixed_ips: [{ subnet_id: twinSubnet, ip_address: ipOf(original) }] },
          })
        ).port as Port;
        const vm = await lab.vm();
        await lab.plug(host, port.id, vm, apiUrl);
        await inNs(vm, 'ip', 'address', 'add', `${ipOf(port)}/24`, 'dev', 'eth0');
        twins.push([vm, port]);
      }
      const [[vm3], [, p4]] = twins as [[string, Port], [string, Port]];
      await eventually('the twins ACTIVE', async () => (await portOf(twins[0]![1].id)).status === 'ACTIVE' && (await portOf(p4.id)).status === 'ACTIVE', 20_000);
      await eventually('vm3 reaches its twin vm4', () => reaches(vm3, ipOf(p4)));
      assert.ok(await reaches(vm1, ipOf(p2)), 'vm1 still reaches vm2 at the same address');
      // On h2 the same address pair is tracked twice, once per network's zone.
      const zones = new Set(
        (await lab.onHost(h2, 'conntrack', '-L', '-p', 'icmp', '-s', ipOf(p1), '-d', ipOf(p2)).catch(() => ''))
          .split('\n')
          .flatMap((line) => /zone=(\d+)/.exec(line)?.[1] ?? []),
      );
      assert.ok(zones.size >= 2, `two zones for ${ipOf(p1)} -> ${ipOf(p2)} on h2: ${[...zones].join(', ')}`);
    });
  });

  it('repairs drift on its periodic resync: a deleted bridge, a removed FDB entry, a killed dnsmasq', async () => {
    await sh('ip', ['-n', h2.ns, 'link', 'delete', bridge()]);
    await eventually('the bridge on h2 back with the tap in it', async () => (await sh('ip', ['-n', h2.ns, 'link', 'show', 'master', bridge()])).includes(`tap${p2.id.slice(0, 11)}`));
    await eventually('vm1 reaches vm2 again', () => inNs(vm1, 'ping', '-c', '1', '-W', '1', ipOf(p2)));

    const vxlan = `vxlan-${vxlanId}`;
    await sh('bridge', ['-n', h1.ns, 'fdb', 'del', p2.mac_address, 'dev', vxlan, 'dst', h2.vtep]);
    await eventually('the FDB entry for vm2 back on h1', async () => (await sh('bridge', ['-n', h1.ns, 'fdb', 'show', 'dev', vxlan])).includes(p2.mac_address));

    const pidFile = join(h1.dir, 'dhcp', networkId, 'pid');
    const oldPid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(oldPid, 'SIGKILL');
    await eventually('dnsmasq running again', () => {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      return pid !== oldPid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dnsmasq');
    });
    assert.equal((await lab.dhcp(vm2)).ip, ipOf(p2));
  });

  it('keeps a ping between VMs running through an L2 agent restart, and leases through a DHCP agent restart', async () => {
    const ping = inNs(vm1, 'ping', '-i', '0.1', '-c', '50', '-W', '1', ipOf(p2));
    await lab.stop(agents.get('l2@h2')!);
    start('l2@h2', h2, 'nucleon-linuxbridge-agent.js');
    const out = await ping;
    assert.match(out, / 0% packet loss/);

    const leases = join(h1.dir, 'dhcp', networkId, 'leases');
    const pidFile = join(h1.dir, 'dhcp', networkId, 'pid');
    const dnsmasqPid = readFileSync(pidFile, 'utf8');
    await lab.stop(agents.get('dhcp@h1')!);
    start('dhcp@h1', h1, 'nucleon-dhcp-agent.js');
    start('l3@h2', h2, 'nucleon-l3-agent.js');
    await eventually('the DHCP agent reported again', async () => (await aliveAgents()).includes('DHCP agent@h1'));
    await new Promise((r) => setTimeout(r, 3_000)); // a resync of the restarted agent
    assert.equal(readFileSync(pidFile, 'utf8'), dnsmasqPid, 'dnsmasq kept running');
    assert.match(readFileSync(leases, 'utf8'), new RegExp(p1.mac_address));
    assert.equal((await lab.dhcp(vm1)).ip, ipOf(p1));
  });

  it('keeps a host cut off from the broker forwarding; back, its agents are alive within two report intervals and it catches up on what it missed', async () => {
    const onH2 = (await aliveAgents()).filter((agent) => agent.endsWith('@h2'));
    assert.ok(onH2.includes('Linux bridge agent@h2'), onH2.join(', '));
    const ping = inNs(vm1, 'ping', '-i', '0.2', '-c', '100', '-W', '1', ipOf(p2));
    await lab.cut(h2, 5672);
    await eventually('the h2 agents down', async () => !(await aliveAgents()).some((agent) => agent.endsWith('@h2')), (AGENT_DOWN_TIME + 10) * 1000);
    // A VM plugged on h1 meanwhile: h2 misses the l2population announcement of its MAC.
    const created = await api.request(
      'POST',
      '/v2.0/ports',
      { port: { network_id: networkId, name: 'vm3', device_owner: 'compute:nova', device_id: randomUUID() } },
      asProject(PROJECT),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const p3 = created.body.port as Port;
    const vm3 = await lab.vm();
    await lab.plug(h1, p3.id, vm3, `http://127.0.0.1:${new URL(api.url).port}`);
    await eventually('p3 ACTIVE', async () => (await portOf(p3.id)).status === 'ACTIVE', 20_000);

    await lab.restore(h2, 5672);
    const back = Date.now();
    // Two report intervals (2 s) once the agents' next reconnection attempt (rabbit_retry_backoff) has found the broker.
    await eventually(`${onH2.join(', ')} alive again`, async () => {
      const alive = await aliveAgents();
      return onH2.every((agent) => alive.includes(agent));
    }, 15_000);
    await eventually('h2 knows where vm3 is', async () => (await sh('bridge', ['-n', h2.ns, 'fdb', 'show', 'dev', `vxlan-${vxlanId}`])).includes(p3.mac_address), 15_000);
    const caughtUp = Date.now() - back;
    assert.match(await ping, / 0% packet loss/, 'vm1 and vm2 kept talking while h2 was cut off');
    assert.equal((await eventually('a lease for vm3', () => lab.dhcp(vm3), 20_000)).ip, ipOf(p3));
    await inNs(vm3, 'ping', '-c', '1', '-W', '2', ipOf(p2));
    assert.ok(caughtUp < 15_000, `caught up ${caughtUp} ms after the broker was back`);
    await lab.unplug(h1, p3.id, vm3, `http://127.0.0.1:${new URL(api.url).port}`);
    await api.request('DELETE', `/v2.0/ports/${p3.id}`, undefined, asProject(PROJECT));
  });

  it('shows a killed agent as down after agent_down_time, in the API and in `openstack network agent list`', async () => {
    await lab.stop(agents.get('l2@h2')!, 'SIGKILL');
    await eventually('the h2 L2 agent down', async () => !(await aliveAgents()).includes('Linux bridge agent@h2'), (AGENT_DOWN_TIME + 10) * 1000);
    const cli = await sh('sh', ['-c', 'command -v openstack']).catch(() => '');
    if (cli.trim() !== '') {
      // The table shows Neutron's faces; machine formats (-f value/json) print booleans.
      const table = await sh('openstack', ['--os-auth-type', 'none', '--os-endpoint', api.url, 'network', 'agent', 'list', '-c', 'Agent Type', '-c', 'Host', '-c', 'Alive']);
      assert.match(table, /Linux bridge agent\s*\|\s*h2\s*\|\s*XXX/);
      assert.match(table, /Linux bridge agent\s*\|\s*h1\s*\|\s*:-\)/);
      assert.match(table, /DHCP agent\s*\|\s*h1\s*\|\s*:-\)/);
      assert.match(table, /Metadata agent\s*\|\s*controller\s*\|\s*:-\)/);
    }
  });

  it('unplugs a VM: the tap goes, the port goes DOWN and loses its binding', async () => {
    const apiUrl = `http://127.0.0.1:${new URL(api.url).port}`;
    await lab.unplug(h1, p1.id, vm1, apiUrl);
    assert.doesNotMatch(await sh('ip', ['-n', h1.ns, 'link', 'show']), new RegExp(`tap${p1.id.slice(0, 11)}`));
    const port = await eventually('p1 DOWN', async () => {
      const current = (await api.request('GET', `/v2.0/ports/${p1.id}`)).body.port;
      return current.status === 'DOWN' ? current : undefined;
    });
    assert.equal(port['binding:host_id'], '');
  });
});

/**
 * The DHCP agent for real: a real API server on SQLite, the agent on the
 * in-process bus with a host namespace of the test's own (nothing in the
 * root namespace), real dnsmasq and haproxy in qdhcp-<network> namespaces.
 * The test plays the L2 agent: it puts the agent's tap and the VMs' veths on
 * a bridge in the host namespace. udhcpc in a VM namespace (with a hook of
 * the test's own that never touches /etc/resolv.conf) gets the address the
 * API shows, the network MTU and the 169.254.169.254 route, and reaches the
 * metadata proxy there (haproxy naming the network, dropping a forged
 * router id, on the way to metadata_proxy_socket); a port added
 * later is served after a reload, not a restart; a restarted agent adopts
 * the running dnsmasq; a killed dnsmasq comes back; removing the network
 * from the agent takes namespace, dnsmasq, proxy and files away.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { dhcpAgentOptions } from '../../../src/config/dhcpAgentOptions.js';
import { loadConfig } from '../../../src/config/load.js';
import { runningDnsmasq } from '../../../src/host/dnsmasq.js';
import { IpRoute, listNamespaces, namespacePids } from '../../../src/host/ip.js';
import { defaultGateway } from '../../../src/host/routes.js';
import { agentBaseGroups } from '../../../src/server/agentProcess.js';
import { dhcpAgentSettings, type RunningDhcpAgent, startDhcpAgent } from '../../../src/server/dhcpAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { deleteNamespaces, LAB_PROGRAMS, labPrefix, type LabApi, sh, startLabApi } from '../lab.js';

const skip = await kernelSkip([...LAB_PROGRAMS, 'dnsmasq', 'udhcpc', 'haproxy', 'curl']);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });

/** Prints what udhcpc hands the hook, as KEY=VALUE lines, into $DHCP_OUT; configures nothing, writes no resolv.conf. */
const HOOK = `#!/bin/sh
case "$1" in
  bound|renew)
    { echo "ip=$ip"; echo "subnet=$subnet"; echo "router=$router"; echo "mtu=$mtu"; echo "staticroutes=$staticroutes";
      echo "hostname=$hostname"; echo "domain=$domain"; echo "dns=$dns"; } > "$DHCP_OUT" ;;
esac
exit 0
`;

describe('DHCP agent with dnsmasq in namespaces', { skip, timeout: 60_000 }, () => {
  const prefix = labPrefix('dh');
  const hostNs = `${prefix}h`;
  const agentHost = `${prefix}-node`;
  let api: LabApi;
  let database: TestDatabase;
  let state = '';
  let agent: RunningDhcpAgent | undefined;
  let networkId = '';
  let dhcpPort: { id: string; ip: string } = { id: '', ip: '' };
  let hook = '';
  let metadataSocket: Server | undefined;

  const settings = () =>
    dhcpAgentSettings(
      loadConfig({
        files: [],
        groups: [...agentBaseGroups, dhcpAgentOptions],
        overrides: {
          DEFAULT: {
            host: agentHost,
            state_path: state,
            interface_driver: 'linuxbridge',
            enable_isolated_metadata: true,
            resync_interval: 1,
            metadata_proxy_socket: join(state, 'metadata_proxy'),
            dnsmasq_base_log_dir: join(state, 'log'),
          },
          agent: { report_interval: 2 },
        },
      }),
    );

  const startAgent = async () => {
    agent = await startDhcpAgent(settings(), await api.agentBus(), log, new IpRoute(hostNs));
    return agent;
  };

  const agentId = async () => {
    const agents = (await api.request('GET', '/v2.0/agents?agent_type=DHCP%20agent')).body.agents as { id: string; host: string }[];
    return agents.find((a) => a.host === agentHost)!.id;
  };

  const qdhcp = () => `qdhcp-${networkId}`;
  const pidFile = () => join(state, 'dhcp', networkId, 'pid');

  /** The test as the L2 agent: every tap the DHCP agent made goes on the bridge. */
  const enslaveTaps = async () => {
    for (const link of await new IpRoute(hostNs).links()) {
      if (link.ifname.startsWith('tap') && link.master !== 'br0') await sh('ip', '-n', hostNs, 'link', 'set', link.ifname, 'master', 'br0', 'up');
    }
  };

  const addVm = async (name: string, mac: string) => {
    const vm = `${prefix}${name}`;
    await sh('ip', 'netns', 'add', vm);
    await sh('ip', 'link', 'add', `v${name}`, 'netns', hostNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm);
    await sh('ip', '-n', hostNs, 'link', 'set', `v${name}`, 'master', 'br0', 'up');
    await sh('ip', '-n', vm, 'link', 'set', 'eth0', 'address', mac, 'up');
    return vm;
  };

  const dhcpClient = async (vm: string): Promise<Record<string, string>> => {
    const out = join(state, `${vm}.env`);
    await sh('ip', 'netns', 'exec', vm, 'env', `DHCP_OUT=${out}`, 'udhcpc', '-f', '-q', '-n', '-t', '4', '-T', '1', '-i', 'eth0', '-s', hook, '-O', 'staticroutes', '-O', 'mtu');
    const text = await readFile(out, 'utf8');
    return Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  };

  const createPort = async (mac: string) => {
    const res = await api.request('POST', '/v2.0/ports', { port: { network_id: networkId, mac_address: mac, device_owner: 'compute:nova', device_id: `vm-${mac}` } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.port as { id: string; fixed_ips: { ip_address: string }[] };
  };

  before(async () => {
    state = await mkdtemp(join(tmpdir(), 'nucleon-dhcp-'));
    // What the metadata agent would receive: the headers haproxy sets.
    metadataSocket = createServer((req, res) => {
      res.end(JSON.stringify({ network: req.headers['x-neutron-network-id'], router: req.headers['x-neutron-router-id'] ?? null, forwardedFor: req.headers['x-forwarded-for'] }));
    });
    await new Promise<void>((resolve) => metadataSocket!.listen(join(state, 'metadata_proxy'), resolve));
    await chmod(state, 0o755); // dnsmasq reads its files as nobody
    hook = join(state, 'hook.sh');
    await writeFile(hook, HOOK, { mode: 0o755 });
    await deleteNamespaces(prefix);
    await sh('ip', 'netns', 'add', hostNs);
    await sh('ip', '-n', hostNs, 'link', 'set', 'lo', 'up');
    await sh('ip', '-n', hostNs, 'link', 'add', 'br0', 'type', 'bridge');
    await sh('ip', '-n', hostNs, 'link', 'set', 'br0', 'up');
    // VXLAN: a 1450 MTU network, the MTU the agent must push. Without auto-scheduling, a network
    // removed from the agent stays removed (otherwise the agent's next pass takes it back).
    ({ api, database } = await startLabApi({
      DEFAULT: { network_auto_schedule: false },
      ml2: { tenant_network_types: ['vxlan'] },
      ml2_type_vxlan: { vni_ranges: ['3000:3100'] },
    }));
    await startAgent();
    await eventually('the DHCP agent registered', async () => {
      const list = (await api.request('GET', '/v2.0/agents?agent_type=DHCP%20agent')).body.agents as { host: string; alive: boolean }[];
      return list.some((a) => a.host === agentHost && a.alive);
    });
  });

  after(async () => {
    await agent?.stop().catch(() => undefined);
    metadataSocket?.close();
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    if (networkId !== '') await deleteNamespaces(qdhcp()); // kills dnsmasq and haproxy inside
    await deleteNamespaces(prefix);
    await rm(state, { recursive: true, force: true });
  });

  it('serves a new network: namespace, DHCP port, dnsmasq and the metadata proxy', async () => {
    const net = await api.request('POST', '/v2.0/networks', { network: { name: 'dhcp-test' } });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    networkId = net.body.network.id;
    assert.equal(net.body.network.mtu, 1450);
    const sub = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.61.0.0/24', ip_version: 4, gateway_ip: '10.61.0.1' } });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const added = await api.request('POST', `/v2.0/agents/${await agentId()}/dhcp-networks`, { network_id: networkId });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await eventually('dnsmasq running in qdhcp', async () => (await runningDnsmasq(pidFile())) !== undefined, 15_000);
    const ports = (await api.request('GET', `/v2.0/ports?network_id=${networkId}&device_owner=network:dhcp`)).body.ports as {
      id: string;
      fixed_ips: { ip_address: string }[];
      'binding:host_id': string;
    }[];
    assert.equal(ports.length, 1);
    assert.equal(ports[0]!['binding:host_id'], agentHost);
    dhcpPort = { id: ports[0]!.id, ip: ports[0]!.fixed_ips[0]!.ip_address };
    const addresses = await new IpRoute(qdhcp()).addresses(`ns-${dhcpPort.id.slice(0, 11)}`);
    const cidrs = addresses.flatMap((a) => a.addr_info.map((i) => `${i.local}/${i.prefixlen}`));
    assert.ok(cidrs.includes(`${dhcpPort.ip}/24`) && cidrs.includes('169.254.169.254/16'), cidrs.join(' '));
    assert.ok((await new IpRoute(hostNs).links()).some((l) => l.ifname === `tap${dhcpPort.id.slice(0, 11)}`));
    assert.equal(await defaultGateway(qdhcp()), '10.61.0.1');
    await eventually('haproxy in qdhcp', async () => {
      for (const pid of await namespacePids(qdhcp())) {
        if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).startsWith('haproxy')) return true;
      }
      return false;
    });
  });

  it('gives a VM the address the API shows, the MTU and the metadata route', async () => {
    await enslaveTaps();
    const port = await createPort('fa:16:3e:61:00:11');
    const vm = await addVm('vm1', 'fa:16:3e:61:00:11');
    await agent!.sync();
    const lease = await dhcpClient(vm);
    assert.equal(lease.ip, port.fixed_ips[0]!.ip_address);
    assert.equal(lease.mtu, '1450');
    assert.equal(lease.router, '10.61.0.1');
    assert.equal(lease.staticroutes, `169.254.169.254/32 ${dhcpPort.ip} 0.0.0.0/0 10.61.0.1`);
    assert.equal(lease.domain, 'openstacklocal');
    assert.equal(lease.hostname, `host-${lease.ip!.replace(/\./g, '-')}`);

    // The VM takes the lease (as its DHCP client would) and reaches the metadata proxy in qdhcp,
    // which forwards to metadata_proxy_socket (here a stand-in for the metadata agent) naming the network.
    await sh('ip', '-n', vm, 'addr', 'add', `${lease.ip}/24`, 'dev', 'eth0');
    await sh('ip', '-n', vm, 'route', 'add', '169.254.169.254/32', 'via', dhcpPort.ip);
    const answer = await eventually('metadata through haproxy', async () =>
      sh('ip', 'netns', 'exec', vm, 'curl', '--noproxy', '*', '-s', '-m', '2', '-H', 'X-Neutron-Router-ID: forged', 'http://169.254.169.254/latest/meta-data/'),
    );
    assert.deepEqual(JSON.parse(answer), { network: networkId, router: null, forwardedFor: lease.ip });
  });

  it('serves a port added later after a reload, without restarting dnsmasq', async () => {
    const before = (await runningDnsmasq(pidFile()))!.pid;
    const reloads = agent!.counters.reloads;
    const port = await createPort('fa:16:3e:61:00:12');
    const vm = await addVm('vm2', 'fa:16:3e:61:00:12');
    await eventually('the port in the hosts file', async () => (await readFile(join(state, 'dhcp', networkId, 'host'), 'utf8')).includes('fa:16:3e:61:00:12'));
    await eventually('dnsmasq reloaded', async () => agent!.counters.reloads > reloads);
    const lease = await dhcpClient(vm);
    assert.equal(lease.ip, port.fixed_ips[0]!.ip_address);
    assert.equal((await runningDnsmasq(pidFile()))!.pid, before);
  });

  it('a restarted agent adopts the running dnsmasq; a killed dnsmasq is started again', async () => {
    const first = (await runningDnsmasq(pidFile()))!.pid;
    await agent!.stop();
    assert.equal((await runningDnsmasq(pidFile()))?.pid, first, 'dnsmasq outlives the agent');
    await startAgent();
    await agent!.sync();
    assert.equal((await runningDnsmasq(pidFile()))?.pid, first, 'the new agent adopted it');
    assert.equal(agent!.counters.starts + agent!.counters.restarts, 0);
    assert.deepEqual(await agent!.plan(), [
      `metadata proxy: haproxy in ${qdhcp()} on 169.254.169.254:80 -> ${join(state, 'metadata_proxy')} (kept when running)`,
    ]);

    process.kill(first, 'SIGKILL');
    const second = await eventually('dnsmasq running again', async () => {
      const running = await runningDnsmasq(pidFile());
      return running && running.pid !== first ? running.pid : undefined;
    });
    assert.notEqual(second, first);
    const lease = await dhcpClient(`${prefix}vm1`);
    assert.match(lease.ip ?? '', /^10\.61\.0\./);
  });

  it('tears everything down when the network is removed from the agent', async () => {
    const pid = (await runningDnsmasq(pidFile()))!.pid;
    const res = await api.request('DELETE', `/v2.0/agents/${await agentId()}/dhcp-networks/${networkId}`);
    assert.equal(res.status, 204, JSON.stringify(res.body));
    await eventually('qdhcp namespace gone', async () => !(await listNamespaces()).includes(qdhcp()), 15_000);
    // gone, or a zombie nobody reaps (PID 1 of a container may not)
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => 'gone');
    assert.ok(stat === 'gone' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'), stat);
    await assert.rejects(readFile(pidFile(), 'utf8'));
    assert.deepEqual(await agent!.plan(), []);
  });

  it('tears a deleted network down (network_delete_end)', async () => {
    const net = await api.request('POST', '/v2.0/networks', { network: { name: 'dhcp-test-2' } });
    const second = net.body.network.id as string;
    const ns = `qdhcp-${second}`;
    try {
      await api.request('POST', '/v2.0/subnets', { subnet: { network_id: second, cidr: '10.62.0.0/24', ip_version: 4 } });
      await api.request('POST', `/v2.0/agents/${await agentId()}/dhcp-networks`, { network_id: second });
      const secondPid = join(state, 'dhcp', second, 'pid');
      const pid = await eventually('dnsmasq of the second network', async () => (await runningDnsmasq(secondPid))?.pid, 15_000);
      const res = await api.request('DELETE', `/v2.0/networks/${second}`);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      await eventually('its namespace gone', async () => !(await listNamespaces()).includes(ns), 15_000);
      await eventually('its dnsmasq gone', async () => (await runningDnsmasq(secondPid)) === undefined);
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => 'gone');
      assert.ok(stat === 'gone' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'), stat);
      await assert.rejects(readFile(join(state, 'dhcp', second, 'host'), 'utf8'));
    } finally {
      await deleteNamespaces(ns);
    }
  });
});

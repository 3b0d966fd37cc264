/**
 * `nucleon all-in-one` with no configuration file, run as root on a machine
 * with nothing but a loopback interface (a fresh namespace with a private
 * /run/netns plays that machine): it starts the server and the three agents,
 * and two namespaces plugged into ports of a new network get their
 * addresses over DHCP and ping each other. Without a Nova endpoint the
 * metadata address answers a clear 404. Routers work with no configuration
 * either: the `public` network on br-ex (the machine is 172.24.4.1 there),
 * a router with its gateway on it, VMs on two tenant networks behind it
 * that reach each other and the machine (over TCP, through SNAT), the
 * machine reaching a VM on its floating IP (the VM sees the real client),
 * disassociation cutting it at once, a deleted qrouter namespace rebuilt,
 * and a restart of the whole process without a lost packet.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { kernelSkip } from '../helpers/kernel.js';
import { inNs, Lab, LAB_PROGRAMS, REPO, sh, type AgentProcess, type LabHost } from './lab.js';
import { eventually } from '../helpers/eventually.js';

const unavailable = await kernelSkip(LAB_PROGRAMS);

describe('nucleon all-in-one runs working tenant networks with no configuration', { skip: unavailable, timeout: 120_000 }, () => {
  const lab = new Lab();
  let host: LabHost;
  let aio: AgentProcess;

  /** The API inside the simulated machine, with curl run there. */
  const call = async (method: string, path: string, body?: unknown) => {
    const args = ['-s', '--noproxy', '*', '-m', '10', '-X', method, '-H', 'content-type: application/json', '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('-d', JSON.stringify(body));
    const out = await inNs(host.ns, 'curl', ...args, `http://127.0.0.1:9696/v2.0${path}`);
    const status = Number(out.slice(out.lastIndexOf('\n') + 1));
    const text = out.slice(0, out.lastIndexOf('\n'));
    return { status, body: text ? JSON.parse(text) : undefined };
  };

  /** Starts the all-in-one; a short periodic pass so that drift repair shows within the test. */
  const startAio = async () => {
    writeFileSync(join(host.dir, 'l3.conf'), '[DEFAULT]\nperiodic_interval = 2\n');
    aio = lab.startAgent(host, 'nucleon.js', ['all-in-one', '--state-dir', join(host.dir, 'state'), '--config-file', join(host.dir, 'l3.conf')]);
    await eventually('the all-in-one ready', () => aio.output().includes('ready in'), 30_000);
  };

  before(async () => {
    await lab.setUp(1);
    host = lab.hosts[0]!;
    await startAio();
  });

  after(async () => {
    if (process.env.NUCLEON_E2E_LOGS) console.error(aio?.output());
    await lab.teardown();
  });

  it('says it runs the agents', () => {
    assert.match(aio.output(), /agents: linuxbridge, dhcp, metadata, l3/);
  });

  it('gives two plugged namespaces DHCP addresses on a new network, and they ping each other', async () => {
    const network = await call('POST', '/networks', { network: { name: 'aio' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const networkId = network.body.network.id as string;
    const subnet = await call('POST', '/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.245.0.0/24' } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const ports: { id: string; fixed_ips: { ip_address: string }[] }[] = [];
    for (const name of ['a', 'b']) {
      const port = await call('POST', '/ports', { port: { network_id: networkId, name, device_id: `aio-${name}`, device_owner: 'compute:nova' } });
      assert.equal(port.status, 201, JSON.stringify(port.body));
      ports.push(port.body.port);
    }
    const vms = [await lab.vm(), await lab.vm()];
    for (const [i, port] of ports.entries()) {
      await inNs(host.ns, process.execPath, join(REPO, 'bin/nucleon.js'), 'plug', port.id, '--netns', vms[i]!);
    }
    await eventually('both ports ACTIVE', async () => {
      const statuses = await Promise.all(ports.map(async (port) => (await call('GET', `/ports/${port.id}`)).body.port.status));
      return statuses.every((status) => status === 'ACTIVE');
    }, 20_000);
    for (const [i, port] of ports.entries()) {
      const lease = await eventually(`a lease for ${vms[i]}`, () => lab.dhcp(vms[i]!), 20_000);
      assert.equal(lease.ip, port.fixed_ips[0]!.ip_address);
    }
    await inNs(vms[0]!, 'ping', '-c', '2', '-W', '1', ports[1]!.fixed_ips[0]!.ip_address);

    const metadata = await inNs(vms[0]!, 'curl', '--noproxy', '*', '-s', '-m', '10', '-w', '\n%{http_code}', 'http://169.254.169.254/latest/meta-data/instance-id');
    assert.match(metadata, /\n404$/);
    assert.match(metadata, /metadata/i);
  });

  /** A TCP server in a namespace answering `<tag> <client address>`: who answered, and from where the connection arrived. */
  const echo = (ns: string, tag: string) => {
    const script = join(lab.dir, 'echo.mjs');
    writeFileSync(
      script,
      "import { createServer } from 'node:net';\n" +
        'const [tag] = process.argv.slice(2);\n' +
        "createServer((s) => s.end(`${tag} ${s.remoteAddress.replace(/^::ffff:/, '')}\\n`)).listen(8080);\n",
    );
    return lab.spawnIn(ns, `echo ${tag}`, process.execPath, [script, tag]);
  };
  // stdin closed (''): curl's telnet waits for it otherwise, and would end only at its timeout.
  const fetchFrom = async (ns: string, address: string, seconds = 2): Promise<string> =>
    (await sh('ip', ['netns', 'exec', ns, 'curl', '--noproxy', '*', '-s', '-m', String(seconds), `telnet://${address}:8080`], '').catch(() => '')).trim();

  it('routes two tenant networks and the public network: SNAT out, a floating IP in, repairs and restarts', async () => {
    const ok = async (method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : 200) => {
      const response = await call(method, path, body);
      assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
      return response.body;
    };
    const [publicNet] = (await ok('GET', '/networks?router:external=true')).networks;
    assert.equal(publicNet.name, 'public');
    const router = (await ok('POST', '/routers', { router: { name: 'r', external_gateway_info: { network_id: publicNet.id } } })).router;
    const gateway = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    const vms: { ns: string; ip: string; port: string; groups: string[] }[] = [];
    for (const [i, cidr] of ['10.246.1.0/24', '10.246.2.0/24'].entries()) {
      const net = (await ok('POST', '/networks', { network: { name: `t${i}` } })).network;
      const subnet = (await ok('POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr } })).subnet;
      await ok('PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
      const port = (await ok('POST', '/ports', { port: { network_id: net.id, device_id: `vm-r${i}`, device_owner: 'compute:nova' } })).port;
      const ns = await lab.vm();
      await inNs(host.ns, process.execPath, join(REPO, 'bin/nucleon.js'), 'plug', port.id, '--netns', ns);
      const lease = await eventually(`a lease for ${ns}`, () => lab.dhcp(ns), 20_000);
      vms.push({ ns, ip: lease.ip!, port: port.id, groups: port.security_groups });
    }
    const [vm1, vm2] = vms as [(typeof vms)[0], (typeof vms)[0]];
    echo(host.ns, 'host');
    echo(vm2.ns, 'vm2');
    // East-west through the router; out to the machine with the router's gateway address.
    await eventually('vm1 reaches vm2 through the router', async () => (await fetchFrom(vm1.ns, vm2.ip)) === `vm2 ${vm1.ip}`, 30_000);
    await eventually('vm1 reaches the machine through SNAT', async () => (await fetchFrom(vm1.ns, '172.24.4.1')) === `host ${gateway}`, 30_000);

    // Security groups are enforced: the default group admits its members only, the machine needs a rule to come in.
    await ok('POST', '/security-group-rules', {
      security_group_rule: { security_group_id: vm2.groups[0], direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080 },
    });

    // A floating IP: the machine reaches vm2 on it and vm2 sees the machine's address; vm2 goes out as it.
    const fip = (await ok('POST', '/floatingips', { floatingip: { floating_network_id: publicNet.id, port_id: vm2.port } })).floatingip;
    const started = performance.now();
    await eventually('the machine reaches vm2 on its floating IP', async () => (await fetchFrom(host.ns, fip.floating_ip_address, 1)) === 'vm2 172.24.4.1', 20_000);
    const reachableMs = Math.round(performance.now() - started);
    assert.equal(await fetchFrom(vm2.ns, '172.24.4.1'), `host ${fip.floating_ip_address}`);
    await eventually('the floating IP ACTIVE', async () => (await ok('GET', `/floatingips/${fip.id}`)).floatingip.status === 'ACTIVE', 10_000);

    // The agent repairs a deleted router namespace on its next pass (the old one, unnamed, may live on while a process holds it).
    const namespace = `qrouter-${router.id}`;
    await lab.onHost(host, 'ip', 'netns', 'delete', namespace);
    await eventually('the router namespace rebuilt', async () => (await lab.onHost(host, 'ip', 'netns', 'list')).includes(namespace), 30_000);
    await eventually('the floating IP works again after the namespace was rebuilt', async () => (await fetchFrom(host.ns, fip.floating_ip_address, 1)) === 'vm2 172.24.4.1', 30_000);
    await eventually('vm1 reaches the machine again', async () => (await fetchFrom(vm1.ns, '172.24.4.1', 1)) === `host ${gateway}`, 30_000);

    // A restart of the whole process: the data plane stays, so no packet is lost.
    // vm1 pings the machine through SNAT all along.
    const pinger = lab.spawnIn(vm1.ns, 'ping out', 'ping', ['-i', '0.05', '-W', '1', '172.24.4.1']);
    await lab.stop(aio);
    await startAio();
    // Past the restarted agents' first passes.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    pinger.child.kill('SIGINT');
    await new Promise((resolve) => pinger.child.once('exit', resolve));
    const summary = /(\d+) packets transmitted, (\d+) received/.exec(pinger.output());
    assert.ok(summary, pinger.output());
    assert.equal(summary[1], summary[2], pinger.output());

    // Disassociated: unreachable within a second.
    await ok('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    // Short attempts: a cut connection fails only at its timeout, so the first failing one bounds when the cut came.
    const cut = performance.now();
    const cutMs = await eventually(
      'the floating IP no longer reaches vm2',
      async () => {
        const attempt = performance.now();
        return (await fetchFrom(host.ns, fip.floating_ip_address, 0.25)) === '' ? Math.round(attempt - cut + 250) : undefined;
      },
      5_000,
    );
    assert.ok(cutMs < 1000, `cut after ${cutMs} ms`);
    if (process.env.NUCLEON_E2E_LOGS) console.error({ reachableMs, cutMs });
  });
});

/**
 * `nucleon all-in-one` with no configuration file, run as root on a machine
 * with nothing but a loopback interface (a fresh namespace with a private
 * /run/netns plays that machine): it starts the server and the three agents,
 * and two namespaces plugged into ports of a new network get their
 * addresses over DHCP and ping each other. Without a Nova endpoint the
 * metadata address answers a clear 404.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { kernelSkip } from '../helpers/kernel.js';
import { inNs, Lab, LAB_PROGRAMS, REPO, type AgentProcess, type LabHost } from './lab.js';
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

  before(async () => {
    await lab.setUp(1);
    host = lab.hosts[0]!;
    aio = lab.startAgent(host, 'nucleon.js', ['all-in-one', '--state-dir', join(host.dir, 'state')]);
    await eventually('the all-in-one ready', () => aio.output().includes('ready in'), 30_000);
  });

  after(async () => {
    if (process.env.NUCLEON_E2E_LOGS) console.error(aio?.output());
    await lab.teardown();
  });

  it('says it runs the agents', () => {
    assert.match(aio.output(), /agents: linuxbridge, dhcp, metadata/);
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
});

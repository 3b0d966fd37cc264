/**
 * nucleon-linuxbridge-agent as a process: run with `ip netns exec` in a
 * simulated host's namespace (so the namespace is its "current" one, as in
 * production), against a real API server over RabbitMQ. The broker's
 * 127.0.0.1:5672 is relayed into the namespace's own loopback through a Unix
 * socket (no veth to the root namespace). It registers, its
 * --dry-run prints the plan, it wires a port of a `local` network so the
 * port goes ACTIVE, and SIGTERM ends it with status 0 leaving the bridge.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { bridgeName, tapName } from '../../../src/agents/l2/names.js';
import { IpRoute } from '../../../src/host/ip.js';
import { createTestDatabase, type TestDatabase } from '../../db/databases.js';
import { startTestApi, type TestApi } from '../../helpers/testApi.js';
import { createTestVhost, type TestVhost } from '../../rpc/helpers.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { createLab, LAB_PROGRAMS, type Lab, labPrefix, sh } from '../lab.js';
import { eventually } from '../../helpers/eventually.js';
import { relayIntoNamespace, type Relay } from '../../helpers/relay.js';

const run = promisify(execFile);
const skip = await kernelSkip(LAB_PROGRAMS);

describe('nucleon-linuxbridge-agent, the command', { skip }, () => {
  let lab: Lab;
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  let agent: ChildProcess | undefined;
  let config = '';
  let relay: Relay | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-lbcmd-'));
  const command = (...args: string[]) => ['netns', 'exec', lab.hostNs(1), process.execPath, '--import', 'tsx', 'src/cli/linuxbridgeAgent.ts', '--config-file', config, ...args];

  before(async () => {
    lab = await createLab(labPrefix('l2c'), 1);
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, {
      DEFAULT: { transport_url: vhost.url },
      ml2: { tenant_network_types: ['local'], mechanism_drivers: ['linuxbridge'] },
    });
    // The broker's 127.0.0.1 port, relayed into the host namespace's own loopback.
    relay = await relayIntoNamespace(lab.hostNs(1), Number(new URL(vhost.url.replace(/^rabbit:/, 'http:')).port || 5672), join(dir, 'broker.sock'));
    config = join(dir, 'linuxbridge_agent.ini');
    writeFileSync(config, ['[DEFAULT]', 'host = h1', `transport_url = ${vhost.url}`, '[vxlan]', 'enable_vxlan = false', '[agent]', 'report_interval = 2', 'polling_interval = 1', '[securitygroup]', 'firewall_driver = iptables', ''].join('\n'));
  });

  after(async () => {
    agent?.kill('SIGKILL');
    await relay?.close();
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await vhost?.drop().catch(() => undefined);
    await lab?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers, prints its plan with --dry-run, wires and filters a port, stops on SIGTERM leaving the dataplane', async () => {
    agent = spawn('ip', command(), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => agent!.on('exit', (code) => resolve(code)));
    await eventually(
      'the agent alive in the API',
      async () => {
        const agents = (await api.request('GET', '/v2.0/agents')).body.agents as { host: string; alive: boolean; binary: string; configurations: Record<string, unknown> }[];
        return agents.find((a) => a.host === 'h1' && a.alive);
      },
      20_000,
    ).then((found) => {
      assert.equal(found.binary, 'neutron-linuxbridge-agent');
      assert.deepEqual(found.configurations.tunnel_types, []);
    });

    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'cmd' } })).body.network;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.239.0.0/24', ip_version: 4 } });
    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': 'h1', device_owner: 'compute:nova' } })).body.port;
    assert.equal(port['binding:vif_type'], 'bridge');

    // --dry-run before the tap exists: nothing to do. (The running agent is alone in changing things.)
    const dry = await run('ip', command('--dry-run'), { timeout: 30_000 });
    assert.equal(dry.stdout, 'nothing to change\n');

    await lab.addVm('v1', lab.hostNs(1), tapName(port.id), port.mac_address, `${port.fixed_ips[0].ip_address}/24`, 1500);
    await eventually('port ACTIVE', async () => (await api.request('GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 10_000);

    agent.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    agent = undefined;
    const links = await new IpRoute(lab.hostNs(1)).links();
    assert.equal(links.find((l) => l.ifname === tapName(port.id))?.master, bridgeName(network.id));
    await sh('ip', '-n', lab.hostNs(1), 'link', 'show', bridgeName(network.id));
    // The firewall stays too; with its table gone, a dry run prints the nft script that would bring it back, and runs nothing.
    const nft = (...args: string[]) => sh('ip', 'netns', 'exec', lab.hostNs(1), 'nft', ...args);
    assert.match(await nft('list', 'set', 'bridge', 'nucleon-sg', 'ports'), new RegExp(tapName(port.id)));
    await nft('delete', 'table', 'inet', 'nucleon-sg');
    const plan = (await run('ip', command('--dry-run'), { timeout: 30_000 })).stdout;
    assert.match(plan, /^nft -f - <<EOF\ntable bridge nucleon-sg\ndelete table bridge nucleon-sg\n/);
    assert.match(plan, /\ttable inet nucleon-sg \{|\ntable inet nucleon-sg \{/);
    assert.match(plan, new RegExp(`add element bridge nucleon-sg ports \\{ "${tapName(port.id)}" \\}`));
    assert.doesNotMatch(await nft('list', 'tables'), /inet nucleon-sg/);
  });
});

/**
 * The L2 agents' RPC and l2population over real RabbitMQ: two fake Linux
 * bridge agents, each on its own connection to a throwaway vhost, report
 * state (tunneling_ip, l2_population), fetch their ports' details, report
 * them up and down, and receive forwarding entries, as agent processes on
 * two compute hosts would. The port status is checked through the HTTP API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Bus, ServeHandle } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { AGENT_NOTIFIER, PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { createTestVhost, listQueues, recordingLogger, type TestVhost, waitFor } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- message bodies are checked by assertions, not by types
type Json = Record<string, any>;

const FLOOD = ['00:00:00:00:00:00', '0.0.0.0'];

interface Received {
  readonly method: string;
  readonly kind: string;
  readonly fdb: Json;
}

/** A fake L2 agent: its own bus connection, its l2population consumer, its calls to q-plugin. */
class FakeL2Agent {
  readonly received: Received[] = [];
  private bus: Bus | undefined;
  private handle: ServeHandle | undefined;

  constructor(
    readonly host: string,
    readonly ip: string,
  ) {}

  async start(url: string): Promise<void> {
    this.bus = await openBus(url, { connectTimeoutMs: 10_000 }, recordingLogger());
    const record = (method: string) => async (args: Json, ctx: { kind: string }) => {
      this.received.push({ method, kind: ctx.kind, fdb: args.fdb_entries as Json });
      return null;
    };
    // As the agent does: the fanout topic, and its own queue for what is meant for its host only.
    this.handle = await this.bus.serve(AGENT_NOTIFIER.l2populationUpdate, { server: this.host, fanout: true }, {
      add_fdb_entries: record('add_fdb_entries'),
      remove_fdb_entries: record('remove_fdb_entries'),
      update_fdb_entries: record('update_fdb_entries'),
    });
    const answer = await this.bus.call(
      REPORTS,
      'report_state',
      {
        agent_state: { agent_state: {
          agent_type: 'Linux bridge agent',
          binary: 'neutron-linuxbridge-agent',
          host: this.host,
          topic: 'N/A',
          start_flag: true,
          configurations: {
            interface_mappings: {},
            tunnel_types: ['vxlan'],
            tunneling_ip: this.ip,
            l2_population: true,
            devices: 0,
          },
        } },
        time: new Date().toISOString(),
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(answer, 'new');
  }

  call(method: string, args: Json): Promise<unknown> {
    return this.bus!.call(PLUGIN, method, { agent_id: `lb-${this.host}`, host: this.host, ...args }, { timeoutMs: 10_000 });
  }

  async waitFor(what: string, count: number): Promise<Received[]> {
    await waitFor(`${what} on ${this.host}`, () => this.received.length >= count, 10_000);
    return this.received.splice(0);
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
    await this.bus?.close();
  }
}

const tap = (portId: string) => `tap${portId.slice(0, 11)}`;

describe('L2 agents over RabbitMQ', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  const compute1 = new FakeL2Agent('compute1', '198.51.100.1');
  const compute2 = new FakeL2Agent('compute2', '198.51.100.2');

  before(async () => {
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, {
      DEFAULT: { transport_url: vhost.url },
      ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1100'] },
    });
    await compute1.start(vhost.url);
    await compute2.start(vhost.url);
  });
  after(async () => {
    await compute1.stop();
    await compute2.stop();
    await api?.close();
    await database?.drop();
    await vhost?.drop();
  });

  test('details, ACTIVE and add_fdb_entries when ports go up on two hosts; DOWN and remove_fdb_entries when one goes down', async () => {
    const agents = (await api.request('GET', '/v2.0/agents')).body.agents as Json[];
    assert.deepEqual(agents.map((a) => a.configurations.tunneling_ip).sort(), ['198.51.100.1', '198.51.100.2']);
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'tenant' } })).body.network as Json;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '192.168.10.0/24', ip_version: 4 } });
    const vni = network['provider:segmentation_id'];
    const port = async (host: string) => {
      const response = await api.request('POST', '/v2.0/ports', {
        port: { network_id: network.id, 'binding:host_id': host, device_owner: 'compute:nova', device_id: `vm-${host}` },
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.equal(response.body.port['binding:vif_type'], 'bridge');
      return response.body.port as Json;
    };
    const status = async (id: string) => (await api.request('GET', `/v2.0/ports/${id}`)).body.port.status as string;
    const entries = (p: Json) => p.fixed_ips.map((ip: Json) => [p.mac_address, ip.ip_address]);
    const fdb = (vtep: string, list: unknown[]) => ({ [network.id]: { segment_id: vni, network_type: 'vxlan', ports: { [vtep]: list } } });

    // compute1: the agent sees its tap device, asks what it is, wires it, reports it up.
    const vm1 = await port('compute1');
    const [details] = (await compute1.call('get_devices_details_list', { devices: [tap(vm1.id)] })) as Json[];
    assert.equal(details!.port_id, vm1.id);
    assert.equal(details!.network_type, 'vxlan');
    assert.equal(details!.segmentation_id, vni);
    assert.equal(details!.mtu, 1450);
    assert.deepEqual(details!.fixed_ips, vm1.fixed_ips);
    assert.equal(await status(vm1.id), 'BUILD');
    await compute1.call('update_device_up', { device: tap(vm1.id) });
    assert.equal(await status(vm1.id), 'ACTIVE');
    const first = fdb('198.51.100.1', [FLOOD, ...entries(vm1)]);
    assert.deepEqual(await compute2.waitFor('compute1 flooding entry and port', 1), [{ method: 'add_fdb_entries', kind: 'fanout', fdb: first }]);
    assert.deepEqual(await compute1.waitFor('its own fanout', 1), [{ method: 'add_fdb_entries', kind: 'fanout', fdb: first }]);

    // compute2: its first port there; it gets what compute1 has (cast to its own queue), compute1 gets the new port.
    const vm2 = await port('compute2');
    await compute2.call('get_devices_details_list', { devices: [tap(vm2.id)] });
    await compute2.call('update_device_up', { device: tap(vm2.id) });
    assert.equal(await status(vm2.id), 'ACTIVE');
    const second = fdb('198.51.100.2', [FLOOD, ...entries(vm2)]);
    assert.deepEqual(await compute1.waitFor('compute2 flooding entry and port', 1), [{ method: 'add_fdb_entries', kind: 'fanout', fdb: second }]);
    const toCompute2 = await compute2.waitFor('the network so far, and its own fanout', 2);
    assert.deepEqual(
      toCompute2.find((m) => m.kind === 'cast'),
      { method: 'add_fdb_entries', kind: 'cast', fdb: first },
    );
    assert.deepEqual(
      toCompute2.find((m) => m.kind === 'fanout'),
      { method: 'add_fdb_entries', kind: 'fanout', fdb: second },
    );
    const queues = await listQueues(vhost.name);
    assert.ok(queues.has('q-agent-notifier-l2population-update.compute2'), [...queues.keys()].join(' '));
    assert.ok(queues.has('q-plugin'));

    // The instance on compute1 goes away: DOWN, and compute2 forgets compute1's entries (its flooding entry too).
    const down = await compute1.call('update_device_down', { device: tap(vm1.id) });
    assert.deepEqual(down, { device: tap(vm1.id), exists: true });
    assert.equal(await status(vm1.id), 'DOWN');
    assert.deepEqual(await compute2.waitFor('compute1 entries removed', 1), [{ method: 'remove_fdb_entries', kind: 'fanout', fdb: first }]);
    await compute1.waitFor('its own fanout', 1);
  });

  test('tunnel_sync: every endpoint of the type from the agents\' reports, and the others told of the caller (tunnel_update)', async () => {
    const updates: Json[] = [];
    const watcher = await openBus(vhost.url, { connectTimeoutMs: 10_000 }, recordingLogger());
    const handle = await watcher.serve(AGENT_NOTIFIER.tunnelUpdate, { server: 'watcher', fanout: true }, {
      tunnel_update: async (args: Json) => {
        updates.push(args);
        return null;
      },
    });
    try {
      const answer = (await compute1.call('tunnel_sync', { tunnel_ip: '198.51.100.1', tunnel_type: 'vxlan' })) as Json;
      assert.deepEqual(
        (answer.tunnels as Json[]).map((t) => `${t.ip_address} ${t.host}`).sort(),
        ['198.51.100.1 compute1', '198.51.100.2 compute2'],
      );
      await waitFor('tunnel_update', () => updates.length === 1, 10_000);
      assert.deepEqual(updates[0], { tunnel_ip: '198.51.100.1', tunnel_type: 'vxlan' });
      // No agent reports gre: only the caller itself.
      assert.deepEqual(((await compute2.call('tunnel_sync', { tunnel_ip: '198.51.100.2', tunnel_type: 'gre' })) as Json).tunnels, [{ ip_address: '198.51.100.2', host: 'compute2' }]);
      await assert.rejects(compute1.call('tunnel_sync', { tunnel_ip: '198.51.100.1', tunnel_type: 'stt' }), /Network type value 'stt' not supported/);
    } finally {
      await handle.stop();
      await watcher.close();
    }
  });
});

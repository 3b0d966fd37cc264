/**
 * Port status through the L2 agents' RPC and l2population, against a real
 * server on every backend. The agents here are handlers on the server's own
 * in-process bus (test/rpc/l2AgentRpc.test.ts does the same over RabbitMQ):
 * they report state, ask for device details, report devices up and down,
 * and record the forwarding entries they are sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { pino } from 'pino';

import { loadConfig } from '../../src/config/load.js';
import type { Bus, ServeHandle } from '../../src/rpc/bus.js';
import { AGENT_NOTIFIER, PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { type RunningApi, startApiServer } from '../../src/server/apiServer.js';
import { serverOptionGroups } from '../../src/server/config.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { waitFor } from '../rpc/helpers.js';
import { freePort, httpRequest } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const FLOOD = ['00:00:00:00:00:00', '0.0.0.0'];

interface FdbMessage {
  readonly method: string;
  readonly kind: string;
  readonly fdb: Json;
}

/** An L2 agent on the server's bus: its heartbeat, its calls, and the l2population messages it receives. */
class TestAgent {
  readonly received: FdbMessage[] = [];
  private handle: ServeHandle | undefined;

  constructor(
    private readonly bus: Bus,
    readonly host: string,
    readonly ip: string,
    private readonly configurations: Json = {},
  ) {}

  async start(): Promise<void> {
    const record = (method: string) => async (args: Json, ctx: { kind: string }) => {
      this.received.push({ method, kind: ctx.kind, fdb: args.fdb_entries as Json });
      return null;
    };
    this.handle = await this.bus.serve(AGENT_NOTIFIER.l2populationUpdate, { server: this.host, fanout: true }, {
      add_fdb_entries: record('add_fdb_entries'),
      remove_fdb_entries: record('remove_fdb_entries'),
      update_fdb_entries: record('update_fdb_entries'),
    });
    await this.bus.call(REPORTS, 'report_state', {
      agent_state: { agent_state: {
        agent_type: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        host: this.host,
        topic: 'N/A',
        start_flag: true,
        configurations: {
          interface_mappings: { physnet1: 'eth1' },
          tunnel_types: ['vxlan'],
          tunneling_ip: this.ip,
          l2_population: true,
          ...this.configurations,
        },
      } },
      time: new Date().toISOString(),
    });
  }

  stop(): Promise<void> {
    return this.handle?.stop() ?? Promise.resolve();
  }

  call(method: string, args: Json): Promise<Json> {
    return this.bus.call(PLUGIN, method, { agent_id: `lb-${this.host}`, host: this.host, ...args }) as Promise<Json>;
  }

  /** Messages received so far, then forgets them. */
  take(): FdbMessage[] {
    return this.received.splice(0);
  }
}

const tap = (portId: string) => `tap${portId.slice(0, 11)}`;

for (const dialect of testDialects()) {
  describe(`port status and l2population on ${dialect}`, () => {
    let database: TestDatabase;
    let server: RunningApi;
    let a: TestAgent;
    let b: TestAgent;
    let network: Json;
    let subnet: Json;
    const request = <T = Json>(method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      httpRequest<T>(server.url, method, path, body, headers);

    before(async () => {
      database = await createTestDatabase(dialect);
      const loaded = loadConfig({
        files: [],
        groups: serverOptionGroups,
        overrides: {
          DEFAULT: { bind_host: '127.0.0.1', bind_port: await freePort(), auth_strategy: 'noauth' },
          database: { connection: database.url },
          ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
          ml2_type_vxlan: { vni_ranges: ['100:200'] },
          ml2_type_flat: { flat_networks: ['physnet1'] },
        },
      });
      server = await startApiServer(loaded, pino({ level: 'silent' }), { migrate: true });
      a = new TestAgent(server.bus, 'host-a', '192.0.2.1');
      b = new TestAgent(server.bus, 'host-b', '192.0.2.2');
      await a.start();
      await b.start();
      network = (await request('POST', '/v2.0/networks', { network: { name: 'overlay' } })).body.network;
      // The pool stops short of 10.0.0.77, which a test moves a port to explicitly.
      const allocation_pools = [{ start: '10.0.0.2', end: '10.0.0.60' }];
      subnet = (await request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.0.0.0/24', ip_version: 4, allocation_pools } }))
        .body.subnet;
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await server?.close();
      await database?.drop();
    });

    const createPort = async (host: string, extra: Json = {}) => {
      const response = await request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': host, ...extra } });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.port as Json;
    };
    const showPort = async (id: string) => (await request('GET', `/v2.0/ports/${id}`)).body.port as Json;
    const entriesOf = (port: Json) => port.fixed_ips.map((ip: Json) => [port.mac_address, ip.ip_address]);
    /** Lets stray messages arrive, then forgets them. */
    const drain = async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      a.take();
      b.take();
    };
    const fdb = (ports: Json) => ({ [network.id]: { segment_id: network['provider:segmentation_id'], network_type: 'vxlan', ports } });
    /** Waits for `count` messages, then a moment for any that should not come. */
    const settle = async (agent: TestAgent, count: number) => {
      await waitFor(`${count} l2population messages on ${agent.host}`, () => agent.received.length >= count);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return agent.take();
    };

    test("get_devices_details_list gives Neutron's device dict; the port goes BUILD, then ACTIVE, then DOWN, each a revision", async () => {
      const port = await createPort('host-a', { device_owner: 'compute:nova', device_id: 'vm-1' });
      assert.equal(port.status, 'DOWN');
      assert.equal(port['binding:vif_type'], 'bridge');
      const [details, unknown] = (await a.call('get_devices_details_list', { devices: [tap(port.id), 'tapdeadbeef-00'] })) as unknown as Json[];
      assert.deepEqual(details, {
        device: tap(port.id),
        network_id: network.id,
        port_id: port.id,
        mac_address: port.mac_address,
        admin_state_up: true,
        network_type: 'vxlan',
        segmentation_id: network['provider:segmentation_id'],
        physical_network: null,
        mtu: 1450,
        fixed_ips: port.fixed_ips,
        device_owner: 'compute:nova',
        allowed_address_pairs: [],
        port_security_enabled: true,
        security_groups: port.security_groups,
        qos_policy_id: null,
        network_qos_policy_id: null,
        profile: {},
        propagate_uplink_status: false,
      });
      assert.deepEqual(unknown, { device: 'tapdeadbeef-00' });
      const built = await showPort(port.id);
      assert.equal(built.status, 'BUILD');
      assert.equal(built.revision_number, port.revision_number + 1);
      // By full id too (Open vSwitch agents), and asked by another host: an instance's port is not active there.
      assert.deepEqual(await b.call('get_device_details', { device: port.id }), { device: port.id, no_active_binding: true });

      assert.equal(await a.call('update_device_up', { device: tap(port.id) }), null);
      const active = await showPort(port.id);
      assert.equal(active.status, 'ACTIVE');
      assert.equal(active.revision_number, port.revision_number + 2);
      assert.equal((await request('GET', `/v2.0/ports?status=ACTIVE&id=${port.id}`)).body.ports.length, 1);
      // host-a's first port on the network: everyone learns host-a's VTEP (flooding) and the port; nothing else is up yet.
      const expected = fdb({ '192.0.2.1': [FLOOD, ...entriesOf(port)] });
      assert.deepEqual(await settle(b, 1), [{ method: 'add_fdb_entries', kind: 'fanout', fdb: expected }]);
      assert.deepEqual(a.take(), [{ method: 'add_fdb_entries', kind: 'fanout', fdb: expected }]);

      // Reported by a host the port is not bound to: ignored.
      assert.equal(await b.call('update_device_up', { device: tap(port.id) }), null);
      assert.deepEqual(await b.call('update_device_down', { device: tap(port.id) }), { device: tap(port.id), exists: true });
      assert.equal((await showPort(port.id)).status, 'ACTIVE');

      assert.deepEqual(await a.call('update_device_down', { device: tap(port.id) }), { device: tap(port.id), exists: true });
      const down = await showPort(port.id);
      assert.equal(down.status, 'DOWN');
      assert.equal(down.revision_number, port.revision_number + 3);
      // Its last port there: the others drop host-a's flooding entry and the port's.
      assert.deepEqual(await settle(b, 1), [{ method: 'remove_fdb_entries', kind: 'fanout', fdb: expected }]);
      a.take();
      assert.deepEqual(await a.call('update_device_down', { device: 'tap00000000-00' }), { device: 'tap00000000-00', exists: false });

      // Up again, then bound elsewhere (unplugged, migrated): DOWN at once, as ML2 does, until the new host reports it.
      await a.call('update_device_up', { device: tap(port.id) });
      assert.equal((await showPort(port.id)).status, 'ACTIVE');
      const moved = await request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': '' } });
      assert.equal(moved.body.port.status, 'DOWN');
      assert.equal(moved.body.port['binding:vif_type'], 'unbound');
      const renamed = await request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'same binding, same status' } });
      assert.equal(renamed.body.port.status, 'DOWN');
      await drain();
      a.take();
      b.take();
      await request('DELETE', `/v2.0/ports/${port.id}`);
      await drain();
    });

    test('a port going up on a second host: that host gets the network, the others get the port', async () => {
      const first = await createPort('host-a');
      await a.call('update_device_up', { device: tap(first.id) });
      await settle(b, 1);
      a.take();

      const second = await createPort('host-b');
      await b.call('get_devices_details_list', { devices: [tap(second.id)] });
      await b.call('update_device_up', { device: tap(second.id) });
      const toB = await settle(b, 2);
      assert.deepEqual(toB, [
        { method: 'add_fdb_entries', kind: 'cast', fdb: fdb({ '192.0.2.1': [FLOOD, ...entriesOf(first)] }) },
        { method: 'add_fdb_entries', kind: 'fanout', fdb: fdb({ '192.0.2.2': [FLOOD, ...entriesOf(second)] }) },
      ]);
      assert.deepEqual(await settle(a, 1), [toB[1]]);

      // A second port on host-b counts as a first one too (two can go up at once; as Neutron, 1 or 2 ports is "first").
      const third = await createPort('host-b');
      const listed = await b.call('update_device_list', { devices_up: [tap(third.id)] });
      assert.deepEqual(listed, { devices_up: [tap(third.id)], failed_devices_up: [], devices_down: [], failed_devices_down: [] });
      assert.deepEqual(await settle(a, 1), [{ method: 'add_fdb_entries', kind: 'fanout', fdb: fdb({ '192.0.2.2': [FLOOD, ...entriesOf(third)] }) }]);
      assert.equal((await settle(b, 2)).length, 2);
      // A third one: only its own entries, and nothing for host-b.
      const fourth = await createPort('host-b');
      await b.call('update_device_up', { device: tap(fourth.id) });
      const own = { method: 'add_fdb_entries', kind: 'fanout', fdb: fdb({ '192.0.2.2': entriesOf(fourth) }) };
      assert.deepEqual(await settle(a, 1), [own]);
      assert.deepEqual(await settle(b, 1), [own]);
      // An agent that restarted asks for everything again.
      await b.call('update_device_up', { device: tap(fourth.id), refresh_tunnels: true });
      const refreshed = await settle(b, 2);
      assert.deepEqual(refreshed[0], { method: 'add_fdb_entries', kind: 'cast', fdb: fdb({ '192.0.2.1': [FLOOD, ...entriesOf(first)] }) });
      assert.deepEqual(refreshed[1]?.fdb, fdb({ '192.0.2.2': [FLOOD, ...entriesOf(fourth)] }));
      a.take();

      // A new address on an ACTIVE port: update_fdb_entries; a new MAC is refused while it is ACTIVE.
      const moved = await request('PUT', `/v2.0/ports/${fourth.id}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.77' }] } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual(await settle(a, 1), [
        {
          method: 'update_fdb_entries',
          kind: 'fanout',
          fdb: { chg_ip: { [network.id]: { '192.0.2.2': { before: entriesOf(fourth), after: [[fourth.mac_address, '10.0.0.77']] } } } },
        },
      ]);
      b.take();
      // ML2 refuses a MAC change on a bound port before l2population's own check for ACTIVE ones could.
      const mac = await request('PUT', `/v2.0/ports/${fourth.id}`, { port: { mac_address: 'fa:16:3e:00:00:01' } });
      assert.equal(mac.status, 409);
      assert.equal(mac.body.NeutronError.type, 'PortBound');

      // Down one by one: host-b's flooding entry goes with its last port.
      const result = await b.call('update_device_list', { devices_down: [tap(second.id), tap(third.id), tap(fourth.id)] });
      assert.deepEqual(result.devices_down, [
        { device: tap(second.id), exists: true },
        { device: tap(third.id), exists: true },
        { device: tap(fourth.id), exists: true },
      ]);
      assert.deepEqual(
        (await settle(a, 3)).map((m) => [m.method, m.fdb]),
        [
          ['remove_fdb_entries', fdb({ '192.0.2.2': entriesOf(second) })],
          ['remove_fdb_entries', fdb({ '192.0.2.2': entriesOf(third) })],
          ['remove_fdb_entries', fdb({ '192.0.2.2': [FLOOD, [fourth.mac_address, '10.0.0.77']] })],
        ],
      );
      for (const port of [first, second, third, fourth]) await request('DELETE', `/v2.0/ports/${port.id}`);
      await drain();
    });

    test('ports that are not bound, on a flat network, or on a host without l2population', async () => {
      const unbound = (await request('POST', '/v2.0/ports', { port: { network_id: network.id } })).body.port as Json;
      assert.deepEqual(await a.call('get_device_details', { device: tap(unbound.id) }), { device: tap(unbound.id) });
      await a.call('update_device_up', { device: tap(unbound.id) });
      assert.equal((await showPort(unbound.id)).status, 'DOWN', 'only bound ports go ACTIVE');

      const flat = (
        await request('POST', '/v2.0/networks', {
          network: { name: 'flat', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' },
        })
      ).body.network as Json;
      const flatPort = (await request('POST', '/v2.0/ports', { port: { network_id: flat.id, 'binding:host_id': 'host-a' } })).body.port as Json;
      const [details] = (await a.call('get_devices_details_list', { devices: [tap(flatPort.id)] })) as unknown as Json[];
      assert.equal(details!.network_type, 'flat');
      assert.equal(details!.physical_network, 'physnet1');
      assert.equal(details!.segmentation_id, null);
      assert.equal(details!.mtu, 1500);
      // macvtap agents name devices by MAC address.
      assert.equal(((await a.call('get_device_details', { device: flatPort.mac_address.toUpperCase() })) as Json).port_id, flatPort.id);
      await a.call('update_device_up', { device: tap(flatPort.id) });
      assert.equal((await showPort(flatPort.id)).status, 'ACTIVE');

      const c = new TestAgent(server.bus, 'host-c', '192.0.2.3', { l2_population: false });
      await c.start();
      try {
        const onC = await createPort('host-c');
        await c.call('update_device_up', { device: tap(onC.id) });
        assert.equal((await showPort(onC.id)).status, 'ACTIVE');
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual([...a.take(), ...b.take()], [], 'no l2population messages for flat networks or hosts without it');
      } finally {
        await c.stop();
      }
    });

    test('malformed arguments are refused', async () => {
      await assert.rejects(a.call('get_devices_details_list', { devices: 'tap1' }), { remoteType: 'RpcInvalidArguments', message: /devices must be array/ });
      await assert.rejects(a.call('update_device_up', {}), { remoteType: 'RpcInvalidArguments', message: /device is required/ });
    });
  });
}

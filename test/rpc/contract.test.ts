/**
 * The RPC contract (src/rpc/contract/): its schemas accept what Neutron's
 * peers and ours send and refuse what the receiving side could not use
 * (table-driven, per method family); a served contract answers malformed
 * arguments and unknown methods with an error, logs them once and keeps
 * serving, in-process and over RabbitMQ; a malformed answer fails the call
 * on the caller's side, and an agent's loop survives it and retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';

import { LinuxBridgeAgent, type L2Host } from '../../src/agents/l2/linuxBridgeAgent.js';
import type { Bus } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import {
  clientOf,
  dhcpAgentApi,
  dhcpPluginApi,
  l2AgentApi,
  l2PluginApi,
  l2populationApi,
  metadataApi,
  mismatch,
  type MethodSpec,
  reportsApi,
  serveContract,
} from '../../src/rpc/contract/index.js';
import { RpcInvalidResult, RpcRemoteError } from '../../src/rpc/errors.js';
import { MemoryBroker, MemoryBus } from '../../src/rpc/memoryTransport.js';
import { PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { createTestVhost, recordingLogger, type TestVhost, waitFor } from './helpers.js';

interface Case {
  readonly what: string;
  readonly value: unknown;
  /** undefined: accepted; else the reason must match. */
  readonly refused?: RegExp;
}

const PORT = { id: 'p1', network_id: 'n1', mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }], name: 'extra keys pass' };
const SUBNET = { id: 's1', cidr: '10.0.0.0/24', ip_version: 4, enable_dhcp: true, gateway_ip: null };
const NETWORK = { id: 'n1', project_id: 'p', mtu: 1450, subnets: [SUBNET], ports: [PORT], non_local_subnets: [] };
const AGENT_STATE = { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'h1', topic: 'dhcp_agent' };
const { binary: _binary, ...WITHOUT_BINARY } = AGENT_STATE;
const { id: _id, ...PORT_WITHOUT_ID } = PORT;

/** [method, args or result, cases] per method family. */
const TABLE: readonly (readonly [string, MethodSpec, 'args' | 'result', readonly Case[]])[] = [
  ['report_state', reportsApi.methods.report_state, 'args', [
    { what: "Neutron's nested agent_state", value: { agent_state: { agent_state: AGENT_STATE }, time: '2026-01-01T00:00:00' } },
    { what: 'extra keys (Neutron adds uuid)', value: { agent_state: { agent_state: { ...AGENT_STATE, uuid: 'u', configurations: { a: 1 }, start_flag: true } } } },
    { what: 'a flat agent_state (Neutron reads only the nested one)', value: { agent_state: AGENT_STATE }, refused: /agent_state\.agent_state is required/ },
    { what: 'no binary', value: { agent_state: { agent_state: WITHOUT_BINARY } }, refused: /agent_state\.agent_state\.binary is required/ },
    { what: 'an empty host', value: { agent_state: { agent_state: { ...AGENT_STATE, host: '' } } }, refused: /agent_state\.agent_state\.host/ },
    { what: 'start_flag not a boolean', value: { agent_state: { agent_state: { ...AGENT_STATE, start_flag: 'yes' } } }, refused: /start_flag must be boolean/ },
    { what: 'no agent_state', value: {}, refused: /agent_state is required/ },
  ]],
  ['report_state', reportsApi.methods.report_state, 'result', [
    { what: 'revived', value: 'revived' },
    { what: 'something else', value: 'dead', refused: /./ },
  ]],
  ['get_devices_details_list_and_failed_devices', l2PluginApi.methods.get_devices_details_list_and_failed_devices, 'args', [
    { what: 'devices and who asks', value: { devices: ['tap1'], agent_id: 'lb-h1', host: 'h1' } },
    { what: "Neutron's host=None", value: { devices: ['tap1'], agent_id: 'lb-h1', host: null } },
    { what: 'devices as a string', value: { devices: 'tap1', host: 'h1' }, refused: /devices must be array/ },
    { what: 'a device that is not a string', value: { devices: [1] }, refused: /devices\.0 must be string/ },
  ]],
  ['get_devices_details_list_and_failed_devices', l2PluginApi.methods.get_devices_details_list_and_failed_devices, 'result', [
    { what: 'bound and unknown devices', value: { devices: [{ device: 'tap1', port_id: 'p', network_id: 'n', mac_address: 'm', network_type: 'vxlan', segmentation_id: 7, mtu: null, profile: {} }, { device: 'tap2' }], failed_devices: [] } },
    { what: 'a device without its name', value: { devices: [{ port_id: 'p' }], failed_devices: [] }, refused: /devices\.0\.device is required/ },
    { what: 'a segmentation id that is not a number', value: { devices: [{ device: 'tap1', segmentation_id: '7' }], failed_devices: [] }, refused: /segmentation_id/ },
    { what: 'no failed_devices', value: { devices: [] }, refused: /failed_devices is required/ },
  ]],
  ['update_device_up', l2PluginApi.methods.update_device_up, 'args', [
    { what: 'a device', value: { device: 'tap1', agent_id: 'lb-h1', host: 'h1' } },
    { what: 'no device', value: { host: 'h1' }, refused: /device is required/ },
    { what: 'an empty device', value: { device: '' }, refused: /device must/ },
  ]],
  ['update_device_list', l2PluginApi.methods.update_device_list, 'args', [
    { what: 'up and down', value: { devices_up: ['tap1'], devices_down: [], agent_id: 'a', host: 'h1', refresh_tunnels: true } },
    { what: 'refresh_tunnels not a boolean', value: { devices_up: [], devices_down: [], refresh_tunnels: 'yes' }, refused: /refresh_tunnels must be boolean/ },
  ]],
  ['update_device_list', l2PluginApi.methods.update_device_list, 'result', [
    { what: 'the four lists', value: { devices_up: ['tap1'], failed_devices_up: [], devices_down: [{ device: 'tap2', exists: true }], failed_devices_down: [] } },
    { what: 'a list missing', value: { devices_up: [], devices_down: [], failed_devices_down: [] }, refused: /failed_devices_up is required/ },
  ]],
  ['get_active_networks_info', dhcpPluginApi.methods.get_active_networks_info, 'args', [
    { what: 'a host', value: { host: 'h1', enable_dhcp_filter: true } },
    { what: 'an empty host', value: { host: '' }, refused: /host must/ },
  ]],
  ['get_active_networks_info', dhcpPluginApi.methods.get_active_networks_info, 'result', [
    { what: 'a network with subnets and ports', value: [NETWORK] },
    { what: 'a subnet of IP version 5', value: [{ ...NETWORK, subnets: [{ ...SUBNET, ip_version: 5 }] }], refused: /0\.subnets\.0\.ip_version/ },
    { what: 'a port without a MAC', value: [{ ...NETWORK, ports: [{ id: 'p', network_id: 'n1' }] }], refused: /0\.ports\.0\.mac_address is required/ },
    { what: 'not a list', value: { networks: [] }, refused: /must be array/ },
  ]],
  ['create_dhcp_port', dhcpPluginApi.methods.create_dhcp_port, 'args', [
    { what: '{"port": {"port": ...}}', value: { port: { port: { network_id: 'n1', device_id: 'dhcp-x', fixed_ips: [{ subnet_id: 's1' }] } }, host: 'h1' } },
    { what: 'the port not nested', value: { port: { network_id: 'n1' }, host: 'h1' }, refused: /port\.port is required/ },
  ]],
  ['port_create_end', dhcpAgentApi.methods.port_create_end, 'args', [
    { what: 'a port', value: { payload: { port: PORT, priority: 5 } } },
    { what: 'no payload', value: { port: PORT }, refused: /payload is required/ },
    { what: 'a port without id', value: { payload: { port: PORT_WITHOUT_ID } }, refused: /payload\.port\.id is required/ },
  ]],
  ['network_delete_end', dhcpAgentApi.methods.network_delete_end, 'args', [
    { what: 'a network id', value: { payload: { network_id: 'n1', priority: 2 } } },
    { what: 'a number for an id', value: { payload: { network_id: 1 } }, refused: /payload\.network_id must be string/ },
  ]],
  ['port_update', l2AgentApi.methods.port_update, 'args', [
    { what: 'a port and its segment', value: { port: PORT, network_type: 'vxlan', segmentation_id: 7, physical_network: null } },
    { what: 'a port id instead of the port', value: { port: 'p1' }, refused: /port must be object/ },
  ]],
  ['network_delete', l2AgentApi.methods.network_delete, 'args', [
    { what: 'a network id', value: { network_id: 'n1' } },
    { what: 'nothing', value: {}, refused: /network_id is required/ },
  ]],
  ['add_fdb_entries', l2populationApi.methods.add_fdb_entries, 'args', [
    { what: 'entries per network and VTEP', value: { fdb_entries: { n1: { segment_id: 7, network_type: 'vxlan', ports: { '10.0.0.2': [['00:00:00:00:00:00', '0.0.0.0'], ['fa:16:3e:00:00:01', '10.1.0.5']] } } } } },
    { what: 'a pair of one', value: { fdb_entries: { n1: { segment_id: 7, network_type: 'vxlan', ports: { '10.0.0.2': [['bad']] } } } }, refused: /fdb_entries\.n1\.ports/ },
    { what: 'a network that is not an object', value: { fdb_entries: { n1: 'x' } }, refused: /fdb_entries\.n1 must be object/ },
  ]],
  ['update_fdb_entries', l2populationApi.methods.update_fdb_entries, 'args', [
    { what: 'chg_ip', value: { fdb_entries: { chg_ip: { n1: { '10.0.0.2': { before: [['m', '10.1.0.5']], after: [['m', '10.1.0.6']] } } } } } },
    { what: 'chg_ip with a bad pair', value: { fdb_entries: { chg_ip: { n1: { '10.0.0.2': { after: ['m'] } } } } }, refused: /after/ },
  ]],
  ['get_ports', metadataApi.methods.get_ports, 'args', [
    { what: 'filters', value: { filters: { network_id: ['n1'], fixed_ips: { ip_address: ['10.0.0.5'] } } } },
    { what: 'no filters', value: {} },
    { what: 'filters as a string', value: { filters: 'network_id=n1' }, refused: /filters/ },
  ]],
  ['get_ports', metadataApi.methods.get_ports, 'result', [
    { what: 'ports with their project', value: [{ ...PORT, device_id: 'vm1', tenant_id: 'p' }] },
    { what: 'a port without device_id', value: [{ network_id: 'n1' }], refused: /0\.device_id is required/ },
  ]],
];

describe('contract schemas', () => {
  for (const [method, spec, part, cases] of TABLE) {
    for (const c of cases) {
      it(`${method} ${part}: ${c.what} ${c.refused ? 'refused' : 'accepted'}`, () => {
        const reason = mismatch(spec[part], c.value);
        if (c.refused === undefined) assert.equal(reason, undefined);
        else assert.match(reason ?? '(accepted)', c.refused);
      });
    }
  }

  it('every method names a topic, a delivery, a version and its schemas', () => {
    for (const api of [reportsApi, l2PluginApi, dhcpPluginApi, metadataApi, dhcpAgentApi, l2AgentApi, l2populationApi]) {
      for (const [name, spec] of Object.entries(api.methods)) {
        assert.match(spec.topic, /^[a-z][a-z0-9_-]+$/, `${api.name}.${name}`);
        assert.ok(spec.delivery.length > 0, `${api.name}.${name}`);
        assert.match(spec.version, /^1\.\d+$/, `${api.name}.${name}`);
        assert.equal(spec.args.type, 'object', `${api.name}.${name}`);
      }
    }
  });
});

/** A served contract refuses what does not match, logs it once, and keeps serving; over `open()`'s buses. */
function servedContract(name: string, open: () => Promise<{ server: Bus; agent: Bus; log: ReturnType<typeof recordingLogger> }>): void {
  describe(`a served contract (${name})`, () => {
    let server: Bus;
    let agent: Bus;
    let log: ReturnType<typeof recordingLogger>;
    const reports: string[] = [];

    before(async () => {
      ({ server, agent, log } = await open());
      await serveContract(server, reportsApi, { report_state: async ({ agent_state: { agent_state } }) => (reports.push(agent_state.host), 'new' as const) }, { log });
      await serveContract(
        server,
        l2AgentApi,
        {
          port_update: async ({ port }) => (reports.push(`port ${port.id}`), null),
          port_delete: async () => null,
          network_update: async () => null,
          network_delete: async () => null,
        },
        { log },
      );
    });

    it('a call with invalid arguments gets RpcInvalidArguments naming method and problem, logged once; the server keeps serving', async () => {
      const err = await agent.call(REPORTS, 'report_state', { agent_state: { agent_state: { agent_type: 'DHCP agent', host: 7 } } }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      assert.ok(err instanceof RpcRemoteError, String(err));
      assert.equal(err.remoteType, 'RpcInvalidArguments');
      assert.match(err.remoteMessage, /'report_state'.*agent_state\.agent_state\.binary is required/);
      assert.match(err.remoteMessage, /agent_state\.agent_state\.host must be string/);
      const refused = log.records.filter((r) => r.msg === 'RPC message with invalid arguments refused');
      assert.equal(refused.length, 1);
      assert.deepEqual(
        { ...refused[0]!.obj, requestId: undefined, reason: undefined },
        { topic: REPORTS, method: 'report_state', kind: 'call', requestId: undefined, reason: undefined },
      );
      assert.match(String((refused[0]!.obj as { reason: unknown }).reason), /binary is required/);
      assert.deepEqual(reports, [], 'the handler never ran');
      assert.equal(await clientOf(agent, reportsApi).call('report_state', { agent_state: { agent_state: { ...AGENT_STATE, host: 'h-ok' } } }, { timeoutMs: 5_000 }), 'new');
      assert.deepEqual(reports, ['h-ok']);
    });

    it('an unknown method gets NoSuchMethod, logged with topic and method', async () => {
      const err = await agent.call(REPORTS, 'report_everything', {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      assert.ok(err instanceof RpcRemoteError, String(err));
      assert.equal(err.remoteType, 'NoSuchMethod');
      const unknown = log.records.filter((r) => r.msg === 'RPC method not served');
      assert.equal(unknown.length, 1);
      assert.deepEqual(unknown[0]!.obj, { topic: REPORTS, method: 'report_everything', version: '1.0', kind: 'call', reason: 'NoSuchMethod' });
    });

    it('a malformed fanout is logged once and dropped; the next good one is handled', async () => {
      await agent.fanout(l2AgentApi.methods.port_update.topic, 'port_update', { port: 'p-bad' });
      await clientOf(agent, l2AgentApi).fanout('port_update', { port: { id: 'p-good' } });
      await waitFor('the good port_update', () => reports.includes('port p-good'));
      assert.ok(!reports.some((r) => r.includes('p-bad')));
      const refused = log.records.filter((r) => r.msg === 'RPC message with invalid arguments refused' && (r.obj as { kind: string }).kind === 'fanout');
      assert.equal(refused.length, 1);
      assert.match(String((refused[0]!.obj as { reason: unknown }).reason), /port must be object/);
      assert.equal(log.records.filter((r) => r.level === 'error').length, 0, 'no handler failure logged on top');
    });

    it('a malformed answer fails the call on the caller side with RpcInvalidResult', async () => {
      const handle = await server.serve(PLUGIN, {}, { update_device_list: async () => ({ devices_up: 'all of them', failed_devices_up: [], devices_down: [], failed_devices_down: [] }) });
      try {
        const err = await clientOf(agent, l2PluginApi)
          .call('update_device_list', { devices_up: ['tap1'], devices_down: [], agent_id: 'a', host: 'h1' }, { timeoutMs: 5_000 })
          .catch((e: unknown) => e);
        assert.ok(err instanceof RpcInvalidResult, String(err));
        assert.match(err.message, /'update_device_list' on topic 'q-plugin': result\.devices_up must be array/);
      } finally {
        await handle.stop();
      }
    });
  });
}

servedContract('in-process', async () => {
  const log = recordingLogger();
  const broker = new MemoryBroker();
  return { server: new MemoryBus(broker, log), agent: new MemoryBus(broker, recordingLogger()), log };
});

describe('over RabbitMQ', () => {
  let vhost: TestVhost;
  const opened: Bus[] = [];
  before(async () => {
    vhost = await createTestVhost();
  });
  after(async () => {
    await Promise.all(opened.map((bus) => bus.close()));
    await vhost.drop();
  });
  servedContract('RabbitMQ', async () => {
    const log = recordingLogger();
    const open = async (logger: ReturnType<typeof recordingLogger>) => {
      const bus = await openBus(vhost.url, { connectTimeoutMs: 10_000 }, logger);
      opened.push(bus);
      return bus;
    };
    return { server: await open(log), agent: await open(recordingLogger()), log };
  });
});

describe('an agent loop against a server that answers nonsense', () => {
  it('the Linux bridge agent takes a malformed answer as a failed pass and asks again on the next one', async () => {
    const broker = new MemoryBroker();
    const serverBus = new MemoryBus(broker, recordingLogger());
    const agentBus = new MemoryBus(broker, recordingLogger());
    const tap = 'tap11111111-aa';
    let lookups = 0;
    const reportedUp: string[] = [];
    await serverBus.serve(PLUGIN, {}, {
      get_devices_details_list: async () => {
        lookups += 1;
        if (lookups === 1) return 'not a list';
        return [{ device: tap, port_id: '11111111-aaaa', network_id: 'net-1', mac_address: 'fa:16:3e:00:00:11', admin_state_up: true, network_type: 'flat', segmentation_id: null, physical_network: 'physnet1', mtu: 1500, fixed_ips: [] }];
      },
      update_device_list: async (args) => {
        reportedUp.push(...(args.devices_up as string[]));
        return { devices_up: args.devices_up, failed_devices_up: [], devices_down: [], failed_devices_down: [] };
      },
    });
    const link = (ifname: string, ifindex: number) => ({ ifname, ifindex, mtu: 1500, flags: ['UP'] });
    const host: L2Host = {
      netns: undefined,
      links: async () => [link('eth0', 2), link(tap, 3)],
      addresses: async () => [],
      fdb: async () => [],
      neighbours: async () => [],
      batch: async () => undefined,
      bridgeBatch: async () => undefined,
    };
    const errors: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
    const agent = new LinuxBridgeAgent(
      { host: 'h1', interfaceMappings: { physnet1: 'eth0' }, bridgeMappings: {}, pollingIntervalMs: 30, reportIntervalMs: 0, availabilityZone: 'nova', logHeartbeats: false, firewall: 'noop' },
      agentBus,
      log,
      host,
      { watchLinks: false },
    );
    await agent.start();
    try {
      await waitFor('the device reported up after a retry', () => reportedUp.includes(tap));
      assert.ok(lookups >= 2, `asked ${lookups} times`);
      assert.ok(errors.some((line) => line.includes('RpcInvalidResult') && line.includes('get_devices_details_list')), errors.join('\n'));
    } finally {
      await agent.stop();
      await agentBus.close();
      await serverBus.close();
    }
  });
});

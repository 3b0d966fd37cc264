/**
 * The security group RPC between the server and the L2 agents' firewalls,
 * against a real server on SQLite over the in-process bus: what
 * security_group_info_for_devices answers for an agent's devices, the
 * rule and member notifications each change fans out (none when
 * [securitygroup] enable_security_group is off), and port_filter in the
 * binding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { SecurityGroupAgentRpc } from '../../src/plugins/securitygroups/agentRpc.js';
import type { Bus } from '../../src/rpc/bus.js';
import { clientOf, securityGroupServerApi, type SecurityGroupInfo } from '../../src/rpc/contract/index.js';
import { RpcRemoteError } from '../../src/rpc/errors.js';
import { MemoryBroker, MemoryBus } from '../../src/rpc/memoryTransport.js';
import { AGENT_NOTIFIER, PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import type { NeutronOverrides } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { recordingLogger, sleep, waitFor } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

interface Notification {
  readonly method: string;
  readonly groups: string[];
}

const tap = (portId: string) => `tap${portId.slice(0, 11)}`;
const sorted = <T>(items: readonly T[]): T[] => [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** A server on a fresh SQLite database, and an agent's connection to its in-process bus hearing the security group fanout. */
class Setup {
  readonly heard: Notification[] = [];
  api!: TestApi;
  agent!: Bus;
  private database!: TestDatabase;
  private server!: Bus;

  async start(overrides: NeutronOverrides = {}): Promise<void> {
    const broker = new MemoryBroker();
    this.server = new MemoryBus(broker, recordingLogger());
    this.agent = new MemoryBus(broker, recordingLogger());
    this.database = await createTestDatabase('sqlite');
    this.api = await startTestApi(
      this.database.url,
      {
        ...overrides,
        quotas: { quota_security_group: -1, quota_security_group_rule: -1, quota_port: -1 },
        ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge'] },
        ml2_type_vxlan: { vni_ranges: ['1000:1100'] },
      },
      { bus: this.server },
    );
    const record = (method: string) => async (args: Json) => void this.heard.push({ method, groups: [...(args.security_groups as string[])].sort() });
    await this.agent.serve(AGENT_NOTIFIER.securityGroupUpdate, { server: 'compute1', fanout: true }, {
      security_groups_rule_updated: record('security_groups_rule_updated'),
      security_groups_member_updated: record('security_groups_member_updated'),
    });
  }

  get databaseUrl(): string {
    return this.database.url;
  }

  async stop(): Promise<void> {
    await this.api?.close();
    await this.agent?.close();
    await this.server?.close();
    await this.database?.drop();
  }

  async post(path: string, body: Json, status = 201): Promise<Json> {
    const response = await this.api.request('POST', path, body);
    assert.equal(response.status, status, JSON.stringify(response.body));
    return response.body;
  }

  async put(path: string, body: Json): Promise<Json> {
    const response = await this.api.request('PUT', path, body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  }

  async delete(path: string): Promise<void> {
    const response = await this.api.request('DELETE', path);
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  group = async (name: string, stateful = true): Promise<Json> => (await this.post('/v2.0/security-groups', { security_group: { name, stateful } })).security_group;

  rule = async (rule: Json): Promise<Json> => (await this.post('/v2.0/security-group-rules', { security_group_rule: rule })).security_group_rule;

  port = async (port: Json): Promise<Json> => (await this.post('/v2.0/ports', { port })).port;

  info(devices: string[]): Promise<SecurityGroupInfo> {
    return clientOf(this.agent, securityGroupServerApi).call('security_group_info_for_devices', { devices }, { timeoutMs: 10_000 });
  }

  /** The next notifications, once `count` have arrived (and a little more time for any extra one). */
  async next(count: number): Promise<Notification[]> {
    await waitFor(`${count} security group notifications`, () => this.heard.length >= count);
    await sleep(30);
    return this.heard.splice(0);
  }

  /** Forgets what was sent by the requests so far. */
  async drain(): Promise<void> {
    await sleep(50);
    this.heard.splice(0);
  }

  /** Nothing was sent: notifications go out within a turn of the event loop after the request. */
  async none(): Promise<void> {
    await sleep(100);
    assert.deepEqual(this.heard.splice(0), []);
  }
}

const member = (...groups: string[]): Notification => ({ method: 'security_groups_member_updated', groups: [...groups].sort() });
const rules = (...groups: string[]): Notification => ({ method: 'security_groups_rule_updated', groups: [...groups].sort() });

describe('security group RPC, enable_security_group = true', () => {
  const s = new Setup();
  let network: Json;
  let v4: Json;
  let v6: Json;

  before(async () => {
    await s.start();
    network = (await s.post('/v2.0/networks', { network: { name: 'net' } })).network;
    v4 = (await s.post('/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.0.0.0/22' } })).subnet;
    v6 = (await s.post('/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 6, cidr: '2001:db8:1::/64' } })).subnet;
    await s.none();
  });
  after(() => s.stop());

  test('info for devices: ports by id, their groups with rules, remote group and address group members', async () => {
    const web = await s.group('web');
    const stateless = await s.group('stateless', false);
    const empty = await s.group('empty', false);
    const members = await s.group('members');
    for (const r of (await s.api.request('GET', `/v2.0/security-group-rules?security_group_id=${empty.id}`)).body.security_group_rules as Json[]) {
      await s.delete(`/v2.0/security-group-rules/${r.id}`);
    }
    const ag = (await s.post('/v2.0/address-groups', { address_group: { name: 'ag', addresses: ['192.0.2.0/24', '2001:db8:9::/48'] } })).address_group;

    const http = await s.rule({ security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '10.1.2.3/24' });
    await s.rule({ security_group_id: web.id, direction: 'egress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 53, port_range_max: 53, remote_ip_prefix: '198.51.100.7/32' });
    await s.rule({ security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', remote_group_id: members.id });
    await s.rule({ security_group_id: web.id, direction: 'ingress', ethertype: 'IPv6', remote_address_group_id: ag.id });
    await s.rule({ security_group_id: stateless.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' });

    const m1 = await s.port({ network_id: network.id, security_groups: [members.id], allowed_address_pairs: [{ ip_address: '10.0.3.200', mac_address: 'fa:16:3e:00:00:99' }] });
    const m2 = await s.port({ network_id: network.id, security_groups: [members.id], fixed_ips: [{ subnet_id: v4.id }] });
    const vm1 = await s.port({ network_id: network.id, security_groups: [web.id], device_owner: 'compute:nova', allowed_address_pairs: [{ ip_address: '10.0.3.0/24' }] });
    const vm2 = await s.port({ network_id: network.id, security_groups: [stateless.id, empty.id], port_security_enabled: true });
    const dhcp = await s.port({ network_id: network.id, device_owner: 'network:dhcp', security_groups: [web.id] });
    await s.drain();

    const info = await s.info([tap(vm1.id), vm2.id, tap(dhcp.id), 'tap00000000-00']);

    assert.deepEqual(Object.keys(info.devices).sort(), [vm1.id, vm2.id].sort(), 'trusted and unknown devices are left out');
    assert.deepEqual(info.devices[vm1.id], {
      id: vm1.id,
      device: tap(vm1.id),
      network_id: network.id,
      mac_address: vm1.mac_address,
      fixed_ips: (vm1.fixed_ips as Json[]).map((ip) => ip.ip_address),
      allowed_address_pairs: [{ ip_address: '10.0.3.0/24', mac_address: vm1.mac_address }],
      port_security_enabled: true,
      security_groups: vm1.security_groups,
      device_owner: 'compute:nova',
      security_group_rules: info.devices[vm1.id]!.security_group_rules,
    });
    assert.equal(info.devices[vm1.id]!.fixed_ips.length, 2, 'an IPv4 and an IPv6 address');
    // Neutron's provider rules: router advertisements, then DHCP replies to each own address and broadcast / link-local.
    const [ip4, ip6] = info.devices[vm1.id]!.fixed_ips as [string, string];
    const dhcp4 = { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 68, port_range_max: 68, source_port_range_min: 67, source_port_range_max: 67 };
    const dhcp6 = { direction: 'ingress', ethertype: 'IPv6', protocol: 'udp', port_range_min: 546, port_range_max: 546, source_port_range_min: 547, source_port_range_max: 547 };
    assert.deepEqual(info.devices[vm1.id]!.security_group_rules, [
      { direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', source_port_range_min: 134 },
      { ...dhcp4, dest_ip_prefix: `${ip4}/32` },
      { ...dhcp4, dest_ip_prefix: '255.255.255.255/32' },
      { ...dhcp6, dest_ip_prefix: `${ip6}/128` },
      { ...dhcp6, dest_ip_prefix: 'fe80::/64' },
    ]);
    assert.equal(info.devices[vm2.id]!.device, vm2.id);

    assert.deepEqual(Object.keys(info.security_groups).sort(), [web.id, stateless.id, empty.id].sort(), "the devices' groups only");
    assert.deepEqual(info.security_groups[empty.id], []);
    assert.deepEqual(sorted(info.security_groups[stateless.id]!), sorted([
      { direction: 'egress', ethertype: 'IPv4', stateful: false },
      { direction: 'egress', ethertype: 'IPv6', stateful: false },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', stateful: false },
    ]));
    assert.deepEqual(sorted(info.security_groups[web.id]!), sorted([
      { direction: 'egress', ethertype: 'IPv4', stateful: true },
      { direction: 'egress', ethertype: 'IPv6', stateful: true },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, source_ip_prefix: '10.1.2.0/24', stateful: true },
      { direction: 'egress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 53, port_range_max: 53, dest_ip_prefix: '198.51.100.7/32', stateful: true },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', remote_group_id: members.id, stateful: true },
      { direction: 'ingress', ethertype: 'IPv6', remote_address_group_id: ag.id, stateful: true },
    ]));
    assert.equal(http.remote_ip_prefix, '10.1.2.3/24', 'the API keeps the prefix as given; agents get it normalised');

    const v4Of = (port: Json) => (port.fixed_ips as Json[]).find((ip) => ip.subnet_id === v4.id)!.ip_address as string;
    // Only the ethertypes the rules name: members' IPv6 addresses and the address group's IPv4 one are not asked for.
    assert.deepEqual(Object.keys(info.sg_member_ips).sort(), [members.id, ag.id].sort());
    assert.deepEqual(Object.keys(info.sg_member_ips[members.id]!), ['IPv4']);
    assert.deepEqual(sorted(info.sg_member_ips[members.id]!.IPv4!), sorted([[v4Of(m1), null], ['10.0.3.200', 'fa:16:3e:00:00:99'], [v4Of(m2), null]]));
    assert.deepEqual(info.sg_member_ips[ag.id], { IPv6: [['2001:db8:9::/48', null]] });
  });

  test('a remote group named by rules of both ethertypes lists both, even without members', async () => {
    const lonely = await s.group('lonely');
    const g = await s.group('both');
    await s.rule({ security_group_id: g.id, direction: 'ingress', ethertype: 'IPv4', remote_group_id: lonely.id });
    await s.rule({ security_group_id: g.id, direction: 'ingress', ethertype: 'IPv6', remote_group_id: g.id });
    const p = await s.port({ network_id: network.id, security_groups: [g.id] });
    const info = await s.info([tap(p.id)]);
    assert.deepEqual(info.sg_member_ips[lonely.id], { IPv4: [] });
    assert.deepEqual(
      info.sg_member_ips[g.id]!.IPv6,
      (p.fixed_ips as Json[]).filter((ip) => ip.subnet_id === v6.id).map((ip) => [ip.ip_address, null]),
    );
    assert.equal(info.sg_member_ips[g.id]!.IPv4, undefined);
    assert.deepEqual(await s.info([]), { devices: {}, security_groups: {}, sg_member_ips: {} });
    await s.drain();
  });

  test('a malformed call is refused with an error, and the server goes on answering', async () => {
    for (const args of [{ devices: 'tap1' }, {}, { devices: [1, 2] }]) {
      const err = await s.agent.call(PLUGIN, 'security_group_info_for_devices', args, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      assert.ok(err instanceof RpcRemoteError, String(err));
      assert.equal(err.remoteType, 'RpcInvalidArguments');
    }
    assert.deepEqual((await s.info(['tapnothing'])).devices, {});
    // Neutron's agents (1.3) add the version they speak.
    assert.deepEqual(await s.agent.call(PLUGIN, 'security_group_info_for_devices', { devices: [], call_version: '1.3' }, { timeoutMs: 5_000 }), {
      devices: {},
      security_groups: {},
      sg_member_ips: {},
    });
  });

  test('rules created or deleted: security_groups_rule_updated for their group; a bulk create sends one', async () => {
    const g = await s.group('rules');
    await s.none();
    const r = await s.rule({ security_group_id: g.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    assert.deepEqual(await s.next(1), [rules(g.id)]);
    await s.delete(`/v2.0/security-group-rules/${r.id}`);
    assert.deepEqual(await s.next(1), [rules(g.id)]);
    await s.post('/v2.0/security-group-rules', {
      security_group_rules: [
        { security_group_id: g.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'udp' },
        { security_group_id: g.id, direction: 'ingress', ethertype: 'IPv6', protocol: 'udp' },
      ],
    });
    assert.deepEqual(await s.next(1), [rules(g.id)]);
    await s.delete(`/v2.0/security-groups/${g.id}`);
    await s.none();
  });

  test('ports: created or deleted with groups, groups or addresses changed -> security_groups_member_updated', async () => {
    const a = await s.group('a');
    const b = await s.group('b');
    const c = await s.group('c');
    await s.none();

    const p = await s.port({ network_id: network.id, security_groups: [a.id, b.id] });
    assert.deepEqual(await s.next(1), [member(a.id, b.id)]);
    await s.port({ network_id: network.id, security_groups: [] });
    await s.none();

    await s.put(`/v2.0/ports/${p.id}`, { port: { name: 'renamed', admin_state_up: false } });
    await s.none();
    await s.put(`/v2.0/ports/${p.id}`, { port: { security_groups: [b.id, a.id] } });
    await s.none();
    await s.put(`/v2.0/ports/${p.id}`, { port: { security_groups: [b.id, c.id] } });
    assert.deepEqual(await s.next(1), [member(a.id, b.id, c.id)], 'the groups it left and those it joined');
    await s.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: v4.id }] } });
    assert.deepEqual(await s.next(1), [member(b.id, c.id)]);
    await s.put(`/v2.0/ports/${p.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.0.2.250' }] } });
    assert.deepEqual(await s.next(1), [member(b.id, c.id)]);
    await s.put(`/v2.0/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:12:34:56' } });
    assert.deepEqual(await s.next(1), [member(b.id, c.id)]);
    await s.delete(`/v2.0/ports/${p.id}`);
    assert.deepEqual(await s.next(1), [member(b.id, c.id)]);

    // DHCP and router interface ports are not members as upstream counts them.
    const dhcp = await s.port({ network_id: network.id, device_owner: 'network:dhcp', security_groups: [a.id] });
    await s.put(`/v2.0/ports/${dhcp.id}`, { port: { fixed_ips: [{ subnet_id: v4.id }] } });
    await s.delete(`/v2.0/ports/${dhcp.id}`);
    await s.none();
  });

  test("address groups: addresses added or removed -> member_updated for the groups whose rules name it; unused: nothing", async () => {
    const ag = (await s.post('/v2.0/address-groups', { address_group: { name: 'used', addresses: ['203.0.113.0/28'] } })).address_group;
    const unused = (await s.post('/v2.0/address-groups', { address_group: { name: 'unused', addresses: [] } })).address_group;
    const x = await s.group('x');
    const y = await s.group('y');
    await s.rule({ security_group_id: x.id, direction: 'ingress', ethertype: 'IPv4', remote_address_group_id: ag.id });
    await s.rule({ security_group_id: x.id, direction: 'egress', ethertype: 'IPv4', protocol: 'tcp', remote_address_group_id: ag.id });
    await s.rule({ security_group_id: y.id, direction: 'ingress', ethertype: 'IPv4', remote_address_group_id: ag.id });
    await s.drain();

    await s.put(`/v2.0/address-groups/${ag.id}/add_addresses`, { addresses: ['203.0.113.64/28'] });
    assert.deepEqual(await s.next(1), [member(x.id, y.id)]);
    await s.put(`/v2.0/address-groups/${ag.id}/remove_addresses`, { addresses: ['203.0.113.0/28'] });
    assert.deepEqual(await s.next(1), [member(x.id, y.id)]);
    await s.put(`/v2.0/address-groups/${ag.id}`, { address_group: { name: 'renamed' } });
    await s.put(`/v2.0/address-groups/${unused.id}/add_addresses`, { addresses: ['198.51.100.0/24'] });
    await s.none();
  });

  test('1000 devices: one answer, with as many queries as for 10', async (t) => {
    const bulk = await s.group('bulk');
    await s.rule({ security_group_id: bulk.id, direction: 'ingress', ethertype: 'IPv4', remote_group_id: bulk.id });
    const big = (await s.post('/v2.0/networks', { network: { name: 'big' } })).network;
    await s.post('/v2.0/subnets', { subnet: { network_id: big.id, ip_version: 4, cidr: '10.8.0.0/20' } });
    const ports: Json[] = [];
    for (let i = 0; i < 10; i += 1) {
      const body = await s.post('/v2.0/ports', { ports: Array.from({ length: 100 }, () => ({ network_id: big.id, security_groups: [bulk.id] })) });
      ports.push(...(body.ports as Json[]));
    }
    await s.drain();
    const devices = ports.map((p) => tap(String(p.id)));

    let queries = 0;
    const opened: OpenDatabase = await openDatabase(s.databaseUrl);
    try {
      const counting = opened.db.withPlugin({
        transformQuery: (args) => {
          queries += 1;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      const rpc = new SecurityGroupAgentRpc(counting);
      await rpc.infoForDevices(devices.slice(0, 10));
      const few = queries;
      queries = 0;
      const started = performance.now();
      const info = await rpc.infoForDevices(devices);
      const elapsed = performance.now() - started;
      assert.equal(queries, few, 'the number of queries does not grow with the devices');
      assert.equal(Object.keys(info.devices).length, 1000);
      assert.equal(info.sg_member_ips[bulk.id]!.IPv4!.length, 1000);
      t.diagnostic(`security_group_info_for_devices, 1000 devices on SQLite: ${elapsed.toFixed(0)} ms in ${queries} queries`);
    } finally {
      await opened.close();
    }
    const started = performance.now();
    const overBus = await s.info(devices);
    t.diagnostic(`the same over the in-process bus, answer checked against the contract: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(Object.keys(overBus.devices).length, 1000);
  });
});

describe('security group RPC, enable_security_group = false', () => {
  const s = new Setup();

  before(() => s.start({ securitygroup: { enable_security_group: false } }));
  after(() => s.stop());

  test('no notification is sent; ports bind with port_filter false; the call is still answered', async () => {
    const answer = await s.agent.call(
      REPORTS,
      'report_state',
      {
        agent_state: { agent_state: {
          agent_type: 'Linux bridge agent',
          binary: 'neutron-linuxbridge-agent',
          host: 'compute1',
          topic: 'N/A',
          start_flag: true,
          configurations: { interface_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '198.51.100.1', devices: 0 },
        } },
        time: new Date().toISOString(),
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(answer, 'new');
    const network = (await s.post('/v2.0/networks', { network: { name: 'net' } })).network;
    await s.post('/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.0.0.0/24' } });
    const g = await s.group('g');
    const r = await s.rule({ security_group_id: g.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp' });
    const port = await s.port({ network_id: network.id, security_groups: [g.id], 'binding:host_id': 'compute1' });
    assert.equal(port['binding:vif_type'], 'bridge');
    assert.deepEqual(port['binding:vif_details'], { port_filter: false, connectivity: 'l2' });
    await s.put(`/v2.0/ports/${port.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.0.0.250' }] } });
    await s.delete(`/v2.0/security-group-rules/${r.id}`);
    await s.delete(`/v2.0/ports/${port.id}`);
    await s.none();
    const p2 = await s.port({ network_id: network.id, security_groups: [g.id] });
    assert.deepEqual(Object.keys((await s.info([tap(p2.id)])).devices), [p2.id]);
  });
});

/**
 * What each server says on RabbitMQ for one port create, compared message by
 * message: Nucleon's server and Neutron's own (Debian's neutron-server, Zed),
 * each on a vhost of its own with RabbitMQ's firehose tracer on, the same
 * two agents registered (a Linux bridge agent with l2population and a DHCP
 * agent on host h1, reporting as Neutron's do), then a network, a DHCP
 * subnet and a port bound to h1. Every message the server publishes is
 * reduced to what a peer depends on (exchange, routing key, method,
 * version, namespace, argument names, envelope and context keys,
 * properties) and the two sets must be equal but for one listed
 * difference (ONLY_NEUTRON): any other fails, listed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { connect, type ConsumeMessage } from 'amqplib';

import type { Bus } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { neutronReportTime } from '../../src/common/time.js';
import { eventually } from '../helpers/eventually.js';
import { underCi } from '../helpers/kernel.js';
import { asProject, startTestApi } from '../helpers/testApi.js';
import { createTestVhost, rabbitmqctl, recordingLogger, type TestVhost } from '../rpc/helpers.js';
import { neutronInstalled, startNeutronServer, type Request } from './neutronServer.js';

const PROJECT = 'traffic-project';
const HOST = 'h1';
const unavailable = !neutronInstalled() && !underCi() ? "Neutron's server is not installed (neutron-common)" : false;

/**
 * What Neutron sends and Nucleon does not, with the reason; any other
 * difference fails. Versioned-object pushes (resources_rpc) feed agents that
 * keep a cache of the server's objects (the Open vSwitch agent); Neutron's
 * Linux bridge and DHCP agents do not read them.
 */
const ONLY_NEUTRON = /^neutron-vo-(Network|Port|Subnet|SecurityGroup|SecurityGroupRule)-[\d.]+_fanout {2}push /;

/** One published message as a peer sees it. */
function signature(message: ConsumeMessage): string | undefined {
  const headers = message.properties.headers ?? {};
  const exchange = String(headers['exchange_name'] ?? '');
  const routingKey = String((headers['routing_keys'] as unknown[] | undefined)?.[0] ?? '');
  const normal = (text: string) => text.replace(/[0-9a-f]{32}/g, '<hex>');
  const props = (headers['properties'] ?? {}) as Record<string, unknown>;
  const properties = `${String(props['content_type'])}/${String(props['content_encoding'])}/dm${String(props['delivery_mode'])}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(message.content.toString()) as Record<string, unknown>;
  } catch {
    return `${exchange} ${normal(routingKey)} not JSON`;
  }
  const inner = JSON.parse(String(body['oslo.message'] ?? '{}')) as Record<string, unknown>;
  const keys = Object.keys(inner)
    .filter((key) => !key.startsWith('_context_'))
    .sort()
    .join(',');
  const contextKeys = Object.keys(inner).filter((key) => key.startsWith('_context_')).length;
  const envelope = Object.keys(body).sort().join(',');
  if (typeof inner['method'] !== 'string') {
    // A reply (or anything without a method): its shape only.
    return `${exchange || '(default)'} ${normal(routingKey)} reply [${keys}] ${envelope} ${properties}`;
  }
  const args = Object.keys((inner['args'] ?? {}) as object).sort().join(',');
  const version = inner['version'] ?? '-';
  const namespace = inner['namespace'] ?? '-';
  return `${exchange || '(default)'} ${normal(routingKey)} ${inner['method']} v${String(version)} ns:${String(namespace)} args(${args}) [${keys}] ctx:${contextKeys} ${envelope} ${properties}`;
}

/** The agents' state, as Neutron's agents report it. */
function agentState(kind: 'linuxbridge' | 'dhcp') {
  return kind === 'linuxbridge'
    ? {
        agent_type: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        host: HOST,
        topic: 'N/A',
        start_flag: true,
        configurations: { interface_mappings: {}, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.1', l2_population: true, devices: 0 },
      }
    : {
        agent_type: 'DHCP agent',
        binary: 'neutron-dhcp-agent',
        host: HOST,
        topic: 'dhcp_agent',
        start_flag: true,
        configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', networks: 0, subnets: 0, ports: 0 },
      };
}

/** Runs the scenario against a server on `vhost`; returns the signatures of what the server published. */
async function record(vhost: TestVhost, request: Request, admin: Request): Promise<Set<string>> {
  await rabbitmqctl('trace_on', '-p', vhost.name);
  const connection = await connect(vhost.url.replace(/^rabbit:/, 'amqp:'));
  const bus: Bus = await openBus(vhost.url, { connectTimeoutMs: 10_000, closeTimeoutMs: 2_000 }, recordingLogger());
  const seen = new Set<string>();
  try {
    for (const kind of ['linuxbridge', 'dhcp'] as const) {
      await bus.call(REPORTS, 'report_state', { agent_state: { agent_state: agentState(kind) }, time: neutronReportTime() }, { version: '1.2', timeoutMs: 20_000 });
    }
    await eventually('both agents registered', async () => ((await admin('GET', '/v2.0/agents')).body.agents ?? []).length === 2, 20_000);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'amq.rabbitmq.trace', 'publish.#');
    let recording = true;
    await channel.consume(queue, (message) => {
      if (!message || !recording) return;
      const routingKey = String((message.properties.headers?.['routing_keys'] as unknown[] | undefined)?.[0] ?? '');
      if (routingKey === REPORTS || routingKey === PLUGIN) return; // what our agents send: the same both times
      const sig = signature(message);
      if (sig !== undefined) seen.add(sig);
    }, { noAck: true });

    const network = await request('POST', '/v2.0/networks', { network: { name: 'traffic' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await request('POST', '/v2.0/subnets', { subnet: { network_id: network.body.network.id, ip_version: 4, cidr: '10.247.0.0/24' } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const port = await admin('POST', '/v2.0/ports', {
      port: { network_id: network.body.network.id, device_owner: 'compute:nova', device_id: 'vm-1', 'binding:host_id': HOST, project_id: PROJECT },
    });
    assert.equal(port.status, 201, JSON.stringify(port.body));
    // What the Linux bridge agent does next: asks about the tap, wires it, reports it up; then the port changes and goes.
    const portId = port.body.port.id as string;
    const device = `tap${portId.slice(0, 11)}`;
    const asker = { agent_id: `lb-${HOST}`, host: HOST };
    await bus.call(PLUGIN, 'get_devices_details_list', { devices: [device], ...asker }, { version: '1.9', timeoutMs: 20_000 });
    await bus.call(PLUGIN, 'update_device_list', { devices_up: [device], devices_down: [], ...asker }, { version: '1.9', timeoutMs: 20_000 });
    await bus.call(PLUGIN, 'security_group_info_for_devices', { devices: [device] }, { version: '1.2', timeoutMs: 20_000 });
    // ... and the DHCP agent says dnsmasq serves it.
    await bus.call(PLUGIN, 'dhcp_ready_on_ports', { port_ids: [portId] }, { version: '1.5', timeoutMs: 20_000 });
    await eventually('the port ACTIVE', async () => (await admin('GET', `/v2.0/ports/${portId}`)).body.port.status === 'ACTIVE', 20_000);
    assert.equal((await admin('PUT', `/v2.0/ports/${portId}`, { port: { name: 'renamed' } })).status, 200);
    assert.equal((await admin('DELETE', `/v2.0/ports/${portId}`)).status, 204);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    recording = false;
    return seen;
  } finally {
    await bus.close();
    await connection.close();
    await rabbitmqctl('trace_off', '-p', vhost.name).catch(() => undefined);
  }
}

describe('RPC traffic of one port create, Nucleon and Neutron side by side', { skip: unavailable, timeout: 180_000 }, () => {
  const vhosts: TestVhost[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-traffic-'));
  let nucleon: Set<string>;
  let neutron: Set<string>;

  before(async () => {
    const [ours, theirs] = [await createTestVhost(), await createTestVhost()];
    vhosts.push(ours, theirs);
    const ml2 = { type_drivers: ['local', 'flat', 'vlan', 'vxlan'], tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] };
    const api = await startTestApi(`sqlite:///${dir}/server.sqlite`, { DEFAULT: { transport_url: ours.url }, ml2, ml2_type_vxlan: { vni_ranges: ['3001:3100'] } });
    try {
      nucleon = await record(ours, (m, p, b) => api.request(m, p, b, asProject(PROJECT)), (m, p, b) => api.request(m, p, b));
    } finally {
      await api.close();
    }
    const server = await startNeutronServer(join(dir, 'neutron'), theirs.url, PROJECT);
    try {
      neutron = await record(theirs, server.request, server.request);
    } finally {
      await server.stop();
    }
  });

  after(async () => {
    for (const vhost of vhosts) await vhost.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the same messages, with the same names, flags and envelopes', () => {
    const only = (mine: Set<string>, other: Set<string>) => [...mine].filter((sig) => !other.has(sig)).sort();
    const report = `\nonly Nucleon:\n  ${only(nucleon, neutron).join('\n  ')}\nonly Neutron:\n  ${only(neutron, nucleon).join('\n  ')}\nboth:\n  ${[...nucleon].filter((s) => neutron.has(s)).sort().join('\n  ')}`;
    // The dhcp_agent casts, the l2population, port and security group fanouts and the replies, at least.
    assert.ok(neutron.size >= 8, `Neutron published ${neutron.size} kinds of message${report}`);
    assert.deepEqual(only(nucleon, neutron), [], report);
    assert.deepEqual(only(neutron, nucleon).filter((sig) => !ONLY_NEUTRON.test(sig)), [], report);
  });
});

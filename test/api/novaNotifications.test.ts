/**
 * Nova notifications end to end: the real API server (SQLite, the in-process
 * bus) logs in to the real test Keystone (scripts/keystone-setup.sh) as a
 * user of this test's own, finds Nova in the catalog (a `compute` service
 * with endpoints in a region of this test's own, so other users of this
 * Keystone are not disturbed) and posts os-server-external-events to a Nova
 * double, an HTTP server here that records what it gets and answers as told.
 * Port status is driven as an L2 agent drives it, over q-plugin.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { pino } from 'pino';

import { loadConfig } from '../../src/config/load.js';
import { PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { type RunningApi, startApiServer } from '../../src/server/apiServer.js';
import { serverOptionGroups } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { ensureKeystone, type Keystone, type KeystoneProxy, startKeystoneProxy } from '../helpers/keystone.js';
import { freePort, httpRequest } from '../helpers/testApi.js';
import { sleep, waitFor } from '../rpc/helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const HOST = 'nova-test-host';
const SEND_EVENTS_INTERVAL = 1;
const HTTP_RETRIES = 2;

interface NovaRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Json;
  readonly at: number;
}

type Answer = 'ok' | 'not-found' | 'error' | 'unauthorized' | { readonly missing: string };

/** Nova's os-server-external-events, as a double: records every request, answers from `answers` (then 200). */
class NovaDouble {
  readonly requests: NovaRequest[] = [];
  readonly answers: Answer[] = [];
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections are refused until start(port) again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests so far, then forgets them. */
  take(): NovaRequest[] {
    return this.requests.splice(0);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = (text ? JSON.parse(text) : {}) as Json;
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() });
      const answer = this.answers.shift() ?? 'ok';
      const send = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      const events = (body.events ?? []) as Json[];
      if (answer === 'ok') send(200, { events: events.map((e) => ({ ...e, status: e.status ?? 'completed', code: 200 })) });
      else if (answer === 'not-found') send(404, { itemNotFound: { code: 404, message: 'No instances found for any event' } });
      else if (answer === 'error') send(500, { computeFault: { code: 500, message: 'Unexpected API Error.' } });
      else if (answer === 'unauthorized') send(401, { error: { code: 401, message: 'The request you have made requires authentication.' } });
      else {
        const codes = events.map((e) => (e.server_uuid === answer.missing ? 404 : 200));
        send(207, { events: events.map((e, i) => ({ ...e, status: codes[i] === 200 ? 'completed' : 'failed', code: codes[i] })) });
      }
    });
  }
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

describe('Nova notifications with a real Keystone and a Nova double', () => {
  let keystone: Keystone;
  let proxy: KeystoneProxy;
  let database: TestDatabase;
  let server: RunningApi;
  let network: Json;
  let subnet: Json;
  const nova = new NovaDouble();
  const logs: LogLine[] = [];
  const suffix = randomBytes(4).toString('hex');
  const region = `nucleon-nova-${suffix}`;
  const username = `nova-${suffix}`;
  const password = randomBytes(12).toString('hex');
  const cleanup: (() => Promise<unknown>)[] = [];
  const request = <T = Json>(method: string, path: string, body?: unknown) => httpRequest<T>(server.url, method, path, body);

  /** A call to Keystone's API as admin that must succeed; the body's `key` object. */
  const created = async (path: string, key: string, body: unknown): Promise<Json> => {
    const answer = await keystone.admin('POST', path, body);
    assert.equal(answer.status, 201, `POST ${path}: ${JSON.stringify(answer.body)}`);
    return (answer.body as Json)[key] as Json;
  };

  before(async () => {
    keystone = await ensureKeystone();
    await nova.start();
    proxy = await startKeystoneProxy(keystone.authUrl);

    // Nova in the catalog, in a region of the test's own: public is not what endpoint_type asks for.
    assert.equal((await keystone.admin('POST', '/regions', { region: { id: region } })).status, 201);
    cleanup.push(() => keystone.admin('DELETE', `/regions/${region}`));
    const service = await created('/services', 'service', { service: { type: 'compute', name: `nova-${suffix}` } });
    cleanup.push(() => keystone.admin('DELETE', `/services/${service.id}`));
    for (const [iface, url] of [
      ['public', `${nova.url}/public/v2.1`],
      ['internal', `${nova.url}/internal`],
    ] as const) {
      const endpoint = await created('/endpoints', 'endpoint', { endpoint: { service_id: service.id, interface: iface, region_id: region, url } });
      cleanup.push(() => keystone.admin('DELETE', `/endpoints/${endpoint.id}`));
    }
    // A user of the test's own in the service project (a fresh user: no Keystone process has a catalog cached for it).
    const user = await created('/users', 'user', { user: { name: username, password, domain_id: 'default' } });
    cleanup.push(() => keystone.admin('DELETE', `/users/${user.id}`));
    const roles = (await keystone.admin('GET', '/roles?name=service')).body as { roles: { id: string }[] };
    const role = roles.roles[0]?.id;
    assert.ok(role, 'the setup script created the service role');
    const granted = await keystone.admin('PUT', `/projects/${keystone.projectId('neutron')}/users/${user.id}/roles/${role}`);
    assert.equal(granted.status, 204);

    database = await createTestDatabase('sqlite');
    const loaded = loadConfig({
      files: [],
      groups: serverOptionGroups,
      overrides: {
        DEFAULT: {
          bind_host: '127.0.0.1',
          bind_port: await freePort(),
          auth_strategy: 'noauth',
          send_events_interval: SEND_EVENTS_INTERVAL,
          http_retries: HTTP_RETRIES,
        },
        database: { connection: database.url },
        ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge'] },
        ml2_type_vxlan: { vni_ranges: ['100:200'] },
        // As the install guide writes [nova], with the test's user, region and the internal endpoint.
        nova: {
          auth_url: proxy.authUrl,
          auth_type: 'password',
          project_domain_name: 'Default',
          user_domain_name: 'Default',
          region_name: region,
          project_name: keystone.projectName('neutron'),
          username,
          password,
          endpoint_type: 'internal',
        },
      },
    });
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    server = await startApiServer(loaded, log, { migrate: true });
    await server.bus.call(REPORTS, 'report_state', {
      agent_state: { agent_state: {
        agent_type: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        host: HOST,
        topic: 'N/A',
        start_flag: true,
        configurations: { interface_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.10' },
      } },
      time: new Date().toISOString(),
    });
    network = (await request('POST', '/v2.0/networks', { network: { name: 'nova-events' } })).body.network;
    subnet = (
      await request('POST', '/v2.0/subnets', {
        subnet: { network_id: network.id, cidr: '10.9.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.9.0.10', end: '10.9.0.100' }] },
      })
    ).body.subnet;
  });

  after(async () => {
    await server?.close();
    await nova.stop();
    await proxy?.close();
    await database?.drop();
    for (const undo of cleanup.reverse()) await undo();
  });

  const createPort = async (extra: Json = {}) => {
    const response = await request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': HOST, ...extra } });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.port as Json;
  };
  const agent = (method: string, args: Json) => server.bus.call(PLUGIN, method, { agent_id: `lb-${HOST}`, host: HOST, ...args });
  const tap = (port: Json) => `tap${String(port.id).slice(0, 11)}`;
  const instancePort = () => createPort({ device_owner: 'compute:nova', device_id: randomUUID() });
  /** The next `count` POSTs (a batch window may stand between), then a moment for any that should not come. */
  const posts = async (count: number, settleMs = 200) => {
    await waitFor(`${count} POSTs to Nova`, () => nova.requests.length >= count, 10_000);
    await sleep(settleMs);
    return nova.take();
  };
  const logged = (text: string) => logs.filter((line) => line.msg.includes(text));

  test('a port of an instance: ACTIVE is network-vif-plugged at once; a new address and the delete go together in the next batch', async () => {
    // Ports that are not an instance's send nothing.
    const others = [await createPort({ device_owner: 'network:dhcp', device_id: 'dhcp-x' }), await createPort({ device_owner: 'compute:nova', device_id: 'vm-1' })];
    for (const port of others) await agent('update_device_up', { device: tap(port) });
    const port = await instancePort();
    assert.equal(port.status, 'DOWN');
    await agent('get_devices_details_list', { devices: [tap(port)] });
    assert.equal((await request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'BUILD');
    await agent('update_device_up', { device: tap(port) });
    assert.equal((await request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE');

    const [plugged, ...more] = await posts(1);
    assert.deepEqual(more, []);
    assert.equal(plugged!.method, 'POST');
    assert.equal(plugged!.path, '/internal/v2.1/os-server-external-events', 'the internal endpoint of the region, with the API version');
    assert.equal(plugged!.headers['x-openstack-nova-api-version'], '2.1');
    assert.equal(plugged!.headers['content-type'], 'application/json');
    assert.deepEqual(plugged!.body, { events: [{ server_uuid: port.device_id, name: 'network-vif-plugged', status: 'completed', tag: port.id }] });
    // The token is the [nova] user's, project-scoped to the service project.
    const admin = await keystone.login('admin');
    const validated = await fetch(`${keystone.url}/auth/tokens?nocatalog`, {
      headers: { 'x-auth-token': admin.token, 'x-subject-token': String(plugged!.headers['x-auth-token']) },
    });
    assert.equal(validated.status, 200);
    const token = ((await validated.json()) as Json).token as Json;
    assert.equal(token.user.name, username);
    assert.equal(token.project.id, keystone.projectId('neutron'));

    const moved = await request('PUT', `/v2.0/ports/${port.id}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.9.0.200' }] } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal((await request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
    const [batch, ...rest] = await posts(1);
    assert.deepEqual(rest, []);
    assert.deepEqual(batch!.body, {
      events: [
        { name: 'network-changed', server_uuid: port.device_id, tag: port.id },
        { server_uuid: port.device_id, name: 'network-vif-deleted', tag: port.id },
      ],
    });
    assert.ok(batch!.at - plugged!.at >= SEND_EVENTS_INTERVAL * 1000 - 50, `one batch per send_events_interval: ${batch!.at - plugged!.at} ms apart`);
    assert.equal(batch!.headers['x-auth-token'], plugged!.headers['x-auth-token'], 'the token is kept');
    assert.equal(proxy.logins, 1);
    assert.ok(logged('Nova event response').length >= 3);
  });

  test('ACTIVE to DOWN is network-vif-unplugged; BUILD to DOWN says nothing', async () => {
    const port = await instancePort();
    await agent('update_device_up', { device: tap(port) });
    assert.equal((await posts(1))[0]!.body.events[0].name, 'network-vif-plugged');
    assert.deepEqual(await agent('update_device_down', { device: tap(port) }), { device: tap(port), exists: true });
    assert.deepEqual((await posts(1))[0]!.body, {
      events: [{ server_uuid: port.device_id, name: 'network-vif-unplugged', status: 'completed', tag: port.id }],
    });
    await agent('get_devices_details_list', { devices: [tap(port)] });
    await agent('update_device_down', { device: tap(port) });
    await sleep(SEND_EVENTS_INTERVAL * 1000 + 300);
    assert.deepEqual(nova.take(), []);
  });

  test("Nova's 207 with an unknown server is logged per event; a 404 at debug", async () => {
    const [known, unknown] = [await instancePort(), await instancePort()];
    nova.answers.push('ok', { missing: unknown.device_id as string });
    // The first update goes at once; the next two wait for the end of the interval and go together.
    await request('PUT', `/v2.0/ports/${known.id}`, { port: { name: 'a' } });
    await request('PUT', `/v2.0/ports/${known.id}`, { port: { name: 'b' } });
    await request('PUT', `/v2.0/ports/${unknown.id}`, { port: { name: 'c' } });
    const sent = await posts(2);
    assert.deepEqual(sent[0]!.body.events.map((e: Json) => e.server_uuid), [known.device_id]);
    assert.deepEqual(sent[1]!.body.events.map((e: Json) => e.server_uuid), [known.device_id, unknown.device_id]);
    await waitFor('the failed event logged', () => logged('Nova event returned with failed status').length > 0);
    const failed = logged('Nova event returned with failed status');
    assert.equal(failed[0]!.level, 40, 'a warning');
    assert.equal((failed[0]!.event as Json).server_uuid, unknown.device_id);

    nova.answers.push('not-found');
    await request('DELETE', `/v2.0/ports/${known.id}`);
    await posts(1);
    await waitFor('the 404 logged', () => logged('Nova returned NotFound').length > 0);
    assert.equal(logged('Nova returned NotFound')[0]!.level, 20, 'debug');
  });

  test('Nova answers 401 (a revoked token): one fresh login, and the events arrive', async () => {
    const port = await instancePort();
    const logins = proxy.logins;
    nova.answers.push('unauthorized');
    await request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'renamed' } });
    const [refused, accepted] = await posts(2);
    assert.deepEqual(accepted!.body, refused!.body);
    assert.notEqual(accepted!.headers['x-auth-token'], refused!.headers['x-auth-token']);
    assert.equal(proxy.logins, logins + 1);
  });

  test('Nova failing (500): the API answers at once; http_retries retries with backoff, then the batch is dropped with a warning', async () => {
    const port = await instancePort();
    await sleep(SEND_EVENTS_INTERVAL * 1000);
    nova.answers.push('error', 'error', 'error', 'error');
    const started = Date.now();
    const renamed = await request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'during-outage' } });
    assert.equal(renamed.status, 200);
    assert.ok(Date.now() - started < 500, `the PUT took ${Date.now() - started} ms`);
    const attempts = await posts(HTTP_RETRIES + 1, 2000);
    assert.equal(attempts.length, HTTP_RETRIES + 1, 'the first attempt and http_retries retries, no more');
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 450 && attempts[2]!.at - attempts[1]!.at >= 950, 'a doubling delay between attempts');
    assert.equal(logged('Nova events dropped').length, 1);
    assert.equal(logged('Nova events dropped')[0]!.level, 40);
    nova.answers.splice(0);
  });

  test('Nova unreachable (connection refused): requests still succeed fast, each batch is dropped after bounded retries; Nova back, events flow again', async () => {
    const port = await instancePort();
    await sleep(SEND_EVENTS_INTERVAL * 1000);
    const dropped = logged('Nova events dropped').length;
    const where = nova.port;
    await nova.stop();
    const started = Date.now();
    assert.equal((await request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'nova-away' } })).status, 200);
    assert.equal((await request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
    assert.ok(Date.now() - started < 1000, `two requests took ${Date.now() - started} ms`);
    // The update went at once; the delete waited for that batch's retries and went next.
    await waitFor('both batches dropped', () => logged('Nova events dropped').length >= dropped + 2, 15_000);
    const batches = logged('Nova events dropped').slice(dropped);
    assert.deepEqual(
      batches.map((line) => (line.events as Json[]).map((e) => e.name)),
      [['network-changed'], ['network-vif-deleted']],
    );
    for (const line of batches) {
      assert.equal(line.attempts, HTTP_RETRIES + 1);
      assert.match(String(line.reason), /connection refused/);
    }
    assert.equal(logged('retrying').filter((line) => /connection refused/.test(String(line.reason))).length, 2 * HTTP_RETRIES);

    await nova.start(where);
    const next = await instancePort();
    await agent('update_device_up', { device: tap(next) });
    assert.equal((await posts(1))[0]!.body.events[0].tag, next.id);
  });
});

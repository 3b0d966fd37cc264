/**
 * The server's /metrics, scraped from a real server after a known set of
 * requests: the request counters by collection, method and status, the
 * database and RPC timings, agents alive and ports by status; /metrics needs
 * no token, is not listed in /v2.0 or the OpenAPI document, can be turned
 * off or moved to a listener of its own; and every response carries
 * Neutron's X-OpenStack-Request-ID.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { ConfigError } from '../../src/common/errors.js';
import { neutronReportTime } from '../../src/common/time.js';
import { loadConfig } from '../../src/config/load.js';
import { REPORTS } from '../../src/rpc/topics.js';
import { type RunningApi, startApiServer } from '../../src/server/apiServer.js';
import { type NeutronOverrides, serverOptionGroups } from '../../src/server/config.js';
import { freePort, httpRequest } from '../helpers/testApi.js';

/** The value of the first sample of `name` with all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const dirs: string[] = [];

async function startServer(overrides: NeutronOverrides = {}): Promise<RunningApi> {
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-metrics-'));
  dirs.push(dir);
  const loaded = loadConfig({
    files: [],
    groups: serverOptionGroups,
    overrides: {
      ...overrides,
      DEFAULT: { bind_host: '127.0.0.1', bind_port: await freePort(), auth_strategy: 'noauth' },
      database: { connection: `sqlite:///${join(dir, 'nucleon.sqlite')}` },
    },
  });
  return startApiServer(loaded, pino({ level: 'silent' }), { migrate: true });
}

async function scrape(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('server /metrics', () => {
  let server: RunningApi;
  const request = (method: string, path: string, body?: unknown) => httpRequest<Record<string, Record<string, string>>>(server.url, method, path, body);

  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('counts requests by collection, method and status, with latency histograms, after a known set of requests', async () => {
    const network = (await request('POST', '/v2.0/networks', { network: { name: 'm' } })).body['network']!;
    await request('POST', '/v2.0/subnets', { subnet: { network_id: network['id'], cidr: '10.7.0.0/24', ip_version: 4 } });
    for (let i = 0; i < 3; i++) assert.equal((await request('POST', '/v2.0/ports', { port: { network_id: network['id'] } })).status, 201);
    assert.equal((await request('GET', `/v2.0/networks/${network['id']}`)).status, 200);
    assert.equal((await request('GET', '/v2.0/networks/0b5e0d0e-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await request('GET', '/v2.0/ports.json')).status, 200);
    assert.equal((await request('GET', '/v2.0/no-such-things')).status, 404);
    assert.equal((await request('PUT', `/v2.0/networks/${network['id']}/tags/red`)).status, 201);
    await server.bus.call(REPORTS, 'report_state', {
      agent_state: {
        agent_state: { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'metrics-host', topic: 'dhcp_agent', configurations: {}, start_flag: true },
      },
      time: neutronReportTime(),
    });

    const { status, type, text } = await scrape(`${server.url}/metrics`);
    assert.equal(status, 200);
    assert.match(type, /^text\/plain; version=0\.0\.4/);
    const count = (labels: Record<string, string>) => sample(text, 'nucleon_api_requests_total', labels);
    assert.equal(count({ resource: 'networks', method: 'POST', status: '201' }), 1);
    assert.equal(count({ resource: 'ports', method: 'POST', status: '201' }), 3);
    assert.equal(count({ resource: 'networks', method: 'GET', status: '200' }), 1);
    assert.equal(count({ resource: 'networks', method: 'GET', status: '404' }), 1);
    assert.equal(count({ resource: 'ports', method: 'GET', status: '200' }), 1);
    assert.equal(count({ resource: 'unknown', method: 'GET', status: '404' }), 1);
    assert.equal(count({ resource: 'networks/tags', method: 'PUT', status: '201' }), 1);
    // No id and no raw URL in any label.
    assert.doesNotMatch(text, new RegExp(String(network['id'])));
    assert.equal(sample(text, 'nucleon_api_request_duration_seconds_count', { resource: 'ports', method: 'POST' }), 3);
    assert.equal(sample(text, 'nucleon_api_request_duration_seconds_bucket', { resource: 'ports', method: 'POST', le: '+Inf' }), 3);

    assert.ok((sample(text, 'nucleon_db_query_duration_seconds_count', { statement: 'insert', outcome: 'ok' }) ?? 0) >= 4);
    assert.ok((sample(text, 'nucleon_db_query_duration_seconds_count', { statement: 'select', outcome: 'ok' }) ?? 0) > 0);
    assert.equal(sample(text, 'nucleon_db_connections_total', { event: 'opened' }), 1);
    assert.equal(sample(text, 'nucleon_rpc_handler_duration_seconds_count', { method: 'report_state', outcome: 'ok' }), 1);
    assert.equal(sample(text, 'nucleon_agents', { agent_type: 'DHCP agent', alive: 'true' }), 1);
    assert.equal(sample(text, 'nucleon_ports', { status: 'DOWN' }), 3);
    assert.equal(sample(text, 'nucleon_ports', { status: 'ACTIVE' }), 0);
    assert.ok(sample(text, 'process_resident_memory_bytes') !== undefined);
    assert.ok(sample(text, 'nodejs_eventloop_lag_seconds') !== undefined);

    // The scrape itself counts at the next one.
    assert.equal(sample((await scrape(`${server.url}/metrics`)).text, 'nucleon_api_requests_total', { resource: 'metrics', method: 'GET' }), 1);
  });

  it('returns X-OpenStack-Request-ID req-<uuid> on every response, as Neutron does', async () => {
    for (const path of ['/', '/v2.0', '/v2.0/networks', '/v2.0/nothing', '/metrics']) {
      const response = await fetch(`${server.url}${path}`);
      await response.arrayBuffer();
      assert.match(response.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, path);
    }
  });

  it('is not listed in /v2.0 nor in the OpenAPI document', async () => {
    const index = await request('GET', '/v2.0');
    assert.doesNotMatch(JSON.stringify(index.body), /metrics/);
    const openapi = await request('GET', '/v2.0/openapi.json');
    assert.equal(openapi.status, 200);
    assert.doesNotMatch(JSON.stringify(Object.keys(openapi.body['paths'] ?? {})), /metrics/);
  });
});

describe('[metrics] options', () => {
  it('enabled = false: no /metrics', async () => {
    const server = await startServer({ metrics: { enabled: false } });
    try {
      assert.equal((await scrape(`${server.url}/metrics`)).status, 404);
      assert.equal(server.metrics, undefined);
    } finally {
      await server.close();
    }
  });

  it('listen: /metrics on its own address, not on the API port', async () => {
    const port = await freePort();
    const server = await startServer({ metrics: { listen: `127.0.0.1:${port}` } });
    try {
      assert.equal((await scrape(`${server.url}/metrics`)).status, 404);
      await httpRequest(server.url, 'GET', '/v2.0/networks');
      const own = await scrape(`http://127.0.0.1:${port}/metrics`);
      assert.equal(own.status, 200);
      assert.equal(sample(own.text, 'nucleon_api_requests_total', { resource: 'networks', method: 'GET', status: '200' }), 1);
    } finally {
      await server.close();
    }
  });

  it('a listen value that is not host:port stops the server, naming the section and option', async () => {
    await assert.rejects(startServer({ metrics: { listen: 'localhost' } }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /\[metrics\] listen/);
      assert.match(err.message, /not host:port/);
      return true;
    });
  });
});

/**
 * Many clients at once against one subnet until it is exhausted: the fixed IP
 * allocator and the MAC generator must never hand out the same address twice,
 * must hand out exactly the whole pool, and must then answer every request
 * with 409 IpAddressGenerationFailure (never 500).
 *
 * In-process servers over SQLite, MariaDB and PostgreSQL; then two
 * `nucleon-server` processes sharing one MariaDB database, the clients spread
 * over both, for ports and then for floating IPs.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it, type TestContext } from 'node:test';

import { createTestDatabase, type TestDialect } from '../db/databases.js';
import { freePort, httpRequest, startTestApi } from '../helpers/testApi.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLIENTS = 16;
const CIDR = '10.0.0.0/24';
/** 10.0.0.2 .. 10.0.0.254: the /24 minus network, gateway (.1) and broadcast. */
const POOL_SIZE = 253;

interface Port {
  id: string;
  mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}

/** A response body: the resource, or a NeutronError. */
interface Body {
  network?: { id: string };
  subnet?: { id: string; allocation_pools: { start: string; end: string }[] };
  port?: Port;
  ports?: Port[];
  floatingip?: { floating_ip_address: string };
  NeutronError?: { type: string; message: string; detail: string };
}

interface Created {
  id: string;
  ip: string;
  mac: string;
}

interface Unexpected {
  status: number;
  body: unknown;
}

interface RunResult {
  created: Created[];
  conflicts: number;
  unexpected: Unexpected[];
}

/** Creates a network with a /24 subnet through `base`; returns the network id. */
async function createNetwork(base: string): Promise<string> {
  const network = await httpRequest<Body>(base, 'POST', '/v2.0/networks', { network: { name: 'crowded' } });
  assert.equal(network.status, 201, JSON.stringify(network.body));
  const networkId = network.body.network!.id;
  const subnet = await httpRequest<Body>(base, 'POST', '/v2.0/subnets', {
    subnet: { network_id: networkId, ip_version: 4, cidr: CIDR, name: 'crowded-v4' },
  });
  assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
  assert.deepEqual(subnet.body.subnet!.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
  return networkId;
}

/**
 * CLIENTS workers, worker i on bases[i % bases.length], each creating ports
 * until it gets a 409. A worker also stops on any other status (recorded), so
 * that a broken server cannot make the test loop for ever.
 */
async function exhaust(bases: readonly string[], networkId: string): Promise<RunResult> {
  const result: RunResult = { created: [], conflicts: 0, unexpected: [] };
  const worker = async (i: number) => {
    const base = bases[i % bases.length]!;
    for (let n = 0; n < POOL_SIZE + 10; n++) {
      const response = await httpRequest<Body>(base, 'POST', '/v2.0/ports', {
        port: { network_id: networkId, name: `w${i}-${n}` },
      });
      if (response.status === 201) {
        const port = response.body.port!;
        assert.equal(port.fixed_ips.length, 1, JSON.stringify(port));
        result.created.push({ id: port.id, ip: port.fixed_ips[0]!.ip_address, mac: port.mac_address });
        continue;
      }
      if (response.status === 409 && response.body?.NeutronError?.type === 'IpAddressGenerationFailure') {
        result.conflicts++;
        return;
      }
      result.unexpected.push({ status: response.status, body: response.body });
      return;
    }
    result.unexpected.push({ status: 0, body: `worker ${i} never got a 409` });
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i)));
  return result;
}

const duplicatesOf = (values: readonly string[]) => values.filter((v, i) => values.indexOf(v) !== i);

/** The assertions every run shares, then: the server's own view, and that more requests keep answering 409. */
async function checkExhausted(t: TestContext, bases: readonly string[], networkId: string, result: RunResult) {
  assert.deepEqual(result.unexpected, [], 'every answer is 201 or 409 IpAddressGenerationFailure');
  assert.equal(result.conflicts, CLIENTS, 'each client stopped on a 409');
  assert.deepEqual(duplicatesOf(result.created.map((p) => p.ip)), [], 'no IP address handed out twice');
  assert.deepEqual(duplicatesOf(result.created.map((p) => p.mac)), [], 'no MAC address handed out twice');
  assert.equal(result.created.length, POOL_SIZE, 'the whole pool, and no more');
  const expected = Array.from({ length: POOL_SIZE }, (_, i) => `10.0.0.${i + 2}`).sort();
  assert.deepEqual(result.created.map((p) => p.ip).sort(), expected);
  for (const { mac } of result.created) assert.match(mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);

  // What the server stores is what the clients were told.
  for (const base of bases) {
    const listed = await httpRequest<Body>(base, 'GET', `/v2.0/ports?network_id=${networkId}&fields=id&fields=fixed_ips&fields=mac_address`);
    assert.equal(listed.status, 200);
    const stored = listed.body.ports!.map((p) => ({ id: p.id, ip: p.fixed_ips[0]!.ip_address, mac: p.mac_address }));
    const byId = (a: Created, b: Created) => a.id.localeCompare(b.id);
    assert.deepEqual(stored.sort(byId), [...result.created].sort(byId));
  }

  // An exhausted subnet stays exhausted, whoever asks.
  const more = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      httpRequest<Body>(bases[i % bases.length]!, 'POST', '/v2.0/ports', { port: { network_id: networkId } }),
    ),
  );
  for (const response of more) {
    assert.equal(response.status, 409, JSON.stringify(response.body));
    assert.equal(response.body.NeutronError?.type, 'IpAddressGenerationFailure');
    assert.equal(typeof response.body.NeutronError.message, 'string');
  }
  t.diagnostic(`${result.created.length} ports created by ${CLIENTS} clients, ${result.conflicts} answered 409`);
}

describe('16 clients exhausting a /24 on one server', () => {
  const dialects: TestDialect[] = ['sqlite', 'mysql', 'postgres'];
  for (const dialect of dialects) {
    it(`${dialect}: distinct IPs and MACs, exactly ${POOL_SIZE} ports, then 409s`, async (t) => {
      const database = await createTestDatabase(dialect);
      const api = await startTestApi(database.url).catch(async (err: unknown) => {
        await database.drop();
        throw err;
      });
      // One hook, in this order: the server (and its background work) stops before its database goes.
      t.after(async () => {
        await api.close();
        await database.drop();
      });
      const networkId = await createNetwork(api.url);
      const started = performance.now();
      const result = await exhaust([api.url], networkId);
      t.diagnostic(`${dialect}: exhausted in ${Math.round(performance.now() - started)} ms`);
      await checkExhausted(t, [api.url], networkId, result);
    });
  }
});

// ---------------------------------------------------------------------------
// Two nucleon-server processes on one MariaDB database.

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Process {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<Exited>;
  /** SIGTERM to the process group, SIGKILL after 5 s; resolves when it is gone. */
  stop(): Promise<void>;
}

function startProcess(script: string, args: readonly string[]): Process {
  const env = { ...process.env };
  delete env['NUCLEON_DEBUG'];
  const child = spawn(process.execPath, [join(REPO, script), ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let done = false;
  const exited = new Promise<Exited>((resolve) =>
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (done) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function runToEnd(script: string, args: readonly string[]): Promise<Exited & { output: string }> {
  const proc = startProcess(script, args);
  const timer = setTimeout(() => void proc.stop(), 30_000);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, output: proc.output() };
}

/** Polls GET / until it answers 200; fails if the process exits first or 20 s pass. */
async function waitServing(proc: Process, base: string): Promise<void> {
  let exited: Exited | undefined;
  void proc.exited.then((e) => (exited = e));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited) assert.fail(`the server exited (${JSON.stringify(exited)}) before serving:\n${proc.output()}`);
    try {
      const response = await fetch(`${base}/`);
      await response.text();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the server did not serve ${base} within 20 s:\n${proc.output()}`);
}

describe('16 clients exhausting a /24 and an external /27 through two nucleon-server processes on one MariaDB database', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(`still no duplicate IP or MAC, exactly ${POOL_SIZE} ports, no 500`, async (t) => {
    const database = await createTestDatabase('mysql');
    cleanups.push(() => database.drop());
    const dir = await mkdtemp(join(tmpdir(), 'nucleon-concurrency-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    const ports = [await freePort(), await freePort()];
    const configs = await Promise.all(
      ports.map(async (port, i) => {
        const file = join(dir, `neutron-${i}.conf`);
        await writeFile(
          file,
          [
            '[DEFAULT]',
            'auth_strategy = noauth',
            'service_plugins = router',
            'bind_host = 127.0.0.1',
            `bind_port = ${port}`,
            '',
            '[database]',
            `connection = ${database.url}`,
            '',
          ].join('\n'),
        );
        return file;
      }),
    );

    const upgrade = await runToEnd('bin/nucleon-db-manage.js', ['--config-file', configs[0]!, 'upgrade', 'head']);
    assert.equal(upgrade.code, 0, upgrade.output);

    const servers = configs.map((config) => startProcess('bin/nucleon-server.js', ['--config-file', config]));
    for (const server of servers) cleanups.push(() => server.stop());
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);
    await Promise.all(servers.map((server, i) => waitServing(server, bases[i]!)));

    const networkId = await createNetwork(bases[0]!);
    const started = performance.now();
    const result = await exhaust(bases, networkId);
    t.diagnostic(`two servers: exhausted in ${Math.round(performance.now() - started)} ms`);
    await checkExhausted(t, bases, networkId, result);

    // Floating IPs from one external /27 through both servers: each address once, the whole pool, then 409s.
    const external = await httpRequest<Body>(bases[0]!, 'POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } });
    assert.equal(external.status, 201, JSON.stringify(external.body));
    const externalId = external.body.network!.id;
    const externalSubnet = await httpRequest<Body>(bases[1]!, 'POST', '/v2.0/subnets', {
      subnet: { network_id: externalId, ip_version: 4, cidr: '172.30.0.0/27', enable_dhcp: false },
    });
    assert.equal(externalSubnet.status, 201, JSON.stringify(externalSubnet.body));
    const addresses: string[] = [];
    const unexpected: unknown[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        for (;;) {
          const response = await httpRequest<Body>(bases[i % bases.length]!, 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: externalId } });
          if (response.status === 201) addresses.push(response.body.floatingip!.floating_ip_address);
          else if (response.status === 409 && response.body?.NeutronError?.type === 'IpAddressGenerationFailure') return;
          else return void unexpected.push(response.body);
        }
      }),
    );
    assert.deepEqual(unexpected, [], 'every floating IP answer is 201 or 409 IpAddressGenerationFailure');
    assert.deepEqual(duplicatesOf(addresses), [], 'no floating IP address handed out twice');
    assert.equal(addresses.length, 29, 'the whole /27 but the network, gateway and broadcast addresses');
    t.diagnostic(`${addresses.length} floating IPs created by ${CLIENTS} clients on two servers`);

    for (const server of servers) {
      assert.doesNotMatch(server.output(), /"level":50/, 'no error logged by either server');
    }
  });
});

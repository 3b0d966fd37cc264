/**
 * Port benchmark for any Neutron API v2.0 server.
 *
 *   npm run bench                                  # spawns `nucleon all-in-one` itself
 *   npm run bench -- --url http://ctl:9696 --token $OS_TOKEN [--pid N]
 *   npm run bench -- --compare http://ctl:9696 --compare-token $T
 *   npm run bench -- --ports 1000 --clients 16 --list 10000
 *
 * Measures, against one server (and with --compare a second one):
 *   - time from spawn to the first successful `GET /` (spawned server only)
 *   - network create, /16 IPv4 subnet create
 *   - N port creates with 1 client, then N with C parallel clients
 *     (keep-alive agents): creates/s, p50 and p99 latency
 *   - bulk creates (`{"ports":[...]}`, batches of 500) up to L ports on the
 *     network, then the median of 5 `GET /v2.0/ports` (all fields) and of 5
 *     `GET /v2.0/ports?network_id=X&fields=id&fields=fixed_ips`
 *   - the server's RSS (/proc/<pid>/status; --pid for a --url server)
 *   - with --stream N: bulk creates up to N ports, then one `GET /v2.0/ports`
 *     (all fields) read and dropped as it arrives, with the server's RSS
 *     before it and its peak during it (sampled every 10 ms): a streamed
 *     list should not grow with N
 * and prints a table with pass/miss against the targets.
 *
 * Exit status: 0 whenever the measurements ran, whether targets were met or
 * not (a measurement, not a test); 1 when they could not run (the server did
 * not start, the network could not be created); 2 on bad flags.
 *
 * Against a --url server it deletes what it created (the ports, the network
 * and its subnet) and restores a port quota it had to lift, so it can be
 * pointed at a real Neutron.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { statusKb } from './processStats.js';

// ---------------------------------------------------------------------------
// Options

interface TargetOptions {
  /** The API's base URL (unversioned: http://host:9696 or .../networking). */
  url: string;
  token: string | undefined;
  pid: number | undefined;
}

interface Options {
  primary: TargetOptions | undefined; // undefined: spawn nucleon all-in-one
  compare: TargetOptions | undefined;
  ports: number;
  clients: number;
  list: number;
  batch: number;
  runs: number;
  cidr: string;
  stream: number;
}

const USAGE = `usage: npm run bench -- [options]

  --url URL             benchmark an already running server (default: spawn
                        node bin/nucleon.js all-in-one on a free port)
  --token T             X-Auth-Token for --url
  --pid N               process id of the --url server, for its RSS
  --compare URL2        run the same measurements against URL2 and print ratios
  --compare-token T     X-Auth-Token for --compare
  --compare-pid N       process id of the --compare server
  --ports N             port creates per client phase (default 1000)
  --clients N           parallel clients of the second phase (default 16)
  --list N              ports on the network before listing (default 10000)
  --batch N             ports per bulk create (default 500)
  --runs N              list requests per measurement, median taken (default 5)
  --cidr CIDR           the subnet (default 10.96.0.0/16; /14 with --stream over 60000)
  --stream N            then fill to N ports and list them all once, with the
                        server's RSS before and at its peak during the list
                        (default 0: not measured; npm run bench:memory: 100000)
  -h, --help`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} wants a positive integer, not '${text}'`);
  return n;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      pid: { type: 'string' },
      compare: { type: 'string' },
      'compare-token': { type: 'string' },
      'compare-pid': { type: 'string' },
      ports: { type: 'string' },
      clients: { type: 'string' },
      list: { type: 'string' },
      batch: { type: 'string' },
      runs: { type: 'string' },
      cidr: { type: 'string' },
      stream: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const target = (url: string | undefined, token: string | undefined, pid: string | undefined, flag: string) => {
    if (url === undefined) {
      if (token !== undefined || pid !== undefined) throw new UsageError(`--${flag}-token/--${flag}-pid need --${flag}`);
      return undefined;
    }
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new UsageError(`--${flag} wants an http(s) URL, not '${url}'`);
    }
    return { url, token, pid: pid === undefined ? undefined : positiveInt(`${flag}-pid`, pid, 0) };
  };
  if (values.url === undefined && (values.token !== undefined || values.pid !== undefined)) {
    throw new UsageError('--token and --pid go with --url');
  }
  const stream = values.stream === undefined ? 0 : positiveInt('stream', values.stream, 0);
  return {
    primary: target(values.url, values.token, values.pid, 'url'),
    compare: target(values.compare, values['compare-token'], values['compare-pid'], 'compare'),
    ports: positiveInt('ports', values.ports, 1000),
    clients: positiveInt('clients', values.clients, 16),
    list: positiveInt('list', values.list, 10000),
    batch: positiveInt('batch', values.batch, 500),
    runs: positiveInt('runs', values.runs, 5),
    cidr: values.cidr ?? (stream > 60_000 ? '10.96.0.0/14' : '10.96.0.0/16'),
    stream,
  };
}

// ---------------------------------------------------------------------------
// HTTP

interface Reply {
  status: number;
  body: unknown;
  ms: number;
}

/** One keep-alive connection pool to one server. */
class Client {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(
    url: string,
    private readonly token: string | undefined,
    maxSockets: number,
  ) {
    this.base = new URL(url);
    const secure = this.base.protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    if (this.token !== undefined) headers['X-Auth-Token'] = this.token;
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const started = performance.now();
    return new Promise<Reply>((resolve, reject) => {
      const req = this.transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: prefix + path,
          method,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - started;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            if (text !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON: keep the text, for error messages
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms });
          });
        },
      );
      req.setTimeout(300_000, () => req.destroy(new Error(`${method} ${path}: no answer in 300 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `body[key]` when body is an object, else undefined. */
function field(body: unknown, key: string): unknown {
  return isRecord(body) ? body[key] : undefined;
}

/** A short description of a failed reply: status and NeutronError message. */
function describe(method: string, path: string, reply: Reply): string {
  const error = field(reply.body, 'NeutronError');
  const message = field(error, 'message') ?? (typeof reply.body === 'string' ? reply.body.slice(0, 200) : '');
  return `${method} ${path}: HTTP ${reply.status}${message === '' ? '' : ` ${String(message)}`}`;
}

class BenchError extends Error {}

/** Sends a request and insists on the expected status; returns the body. */
async function expect(client: Client, status: number, method: string, path: string, body?: unknown): Promise<Reply> {
  const reply = await client.request(method, path, body).catch((e: Error) => {
    throw new BenchError(`${method} ${path}: ${e.message}`);
  });
  if (reply.status !== status) throw new BenchError(describe(method, path, reply));
  return reply;
}

function idOf(body: unknown, key: string): string {
  const id = field(field(body, key), 'id');
  if (typeof id !== 'string') throw new BenchError(`no ${key}.id in the answer`);
  return id;
}

// ---------------------------------------------------------------------------
// Statistics

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

// ---------------------------------------------------------------------------
// Process memory

/** pid and its descendants (workers a server may fork), from /proc. */
async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const children = parents.get(ppid) ?? [];
      children.push(Number(entry));
      parents.set(ppid, children);
    } catch {
      // the process ended meanwhile
    }
  }
  const tree: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    tree.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return tree;
}

interface Memory {
  rssMb: number;
  peakMb: number | undefined;
  processes: number;
}

async function memoryOf(pid: number): Promise<Memory | undefined> {
  const tree = await processTree(pid);
  let rss = 0;
  let peak = 0;
  let counted = 0;
  for (const p of tree) {
    const kb = await statusKb(p, 'VmRSS');
    if (kb === undefined) continue;
    rss += kb;
    peak += (await statusKb(p, 'VmHWM')) ?? kb;
    counted++;
  }
  if (counted === 0) return undefined;
  return { rssMb: rss / 1024, peakMb: peak / 1024, processes: counted };
}

// ---------------------------------------------------------------------------
// The spawned server

interface Spawned {
  url: string;
  pid: number;
  firstAnswerMs: number;
  stop(): Promise<void>;
}

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Live cleanup hooks, run on SIGINT too. */
const cleanups = new Set<() => void>();

async function spawnNucleon(): Promise<Spawned> {
  const dir = await mkdtemp(join(tmpdir(), 'nucleon-bench-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  const configFile = join(dir, 'bench.conf');
  await writeFile(configFile, `[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = ${port}\n`);
  const logFile = join(dir, 'server.log');
  const log = openSync(logFile, 'w');
  // Node flags on the entry point's `#!/usr/bin/env -S node ...` line apply
  // to the installed command (and npm start), so they apply here too.
  const entry = await readFile(join(REPO, 'bin/nucleon.js'), 'utf8').catch(() => '');
  const nodeFlags = /^#!.*\bnode((?:\s+--?[\w-]+(?:=\S+)?)*)\s*$/m.exec(entry.split('\n', 1)[0] ?? '')?.[1]?.split(/\s+/).filter((flag) => flag !== '') ?? [];
  const args = [...nodeFlags, 'bin/nucleon.js', 'all-in-one', '--api-only', '--state-dir', join(dir, 'state'), '--config-file', configFile];
  step(`spawning node ${args.join(' ')}`);
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    });
  });
  const kill = () => {
    if (exited === undefined) child.kill('SIGKILL');
    removeDir();
  };
  cleanups.add(kill);

  const stop = async () => {
    cleanups.delete(kill);
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(timer);
    }
    removeDir();
  };

  const fail = async (why: string): Promise<never> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    let tail = text.trimEnd().split('\n').slice(-20).join('\n');
    if (/dist\/cli\/[\w.]+'|ERR_MODULE_NOT_FOUND/.test(text)) tail += '\n(is dist/ built? npm run build)';
    throw new BenchError(`${why}${tail === '' ? '' : `\n--- server log (last lines) ---\n${tail}`}`);
  };

  const url = `http://127.0.0.1:${port}`;
  const probe = new Client(url, undefined, 1);
  try {
    for (;;) {
      if (exited !== undefined) return await fail(`the server ended before answering (${exited})`);
      if (performance.now() - started > 60_000) return await fail('the server did not answer GET / within 60 s');
      const reply = await probe.request('GET', '/').catch(() => undefined);
      if (reply?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    probe.close();
  }
  const firstAnswerMs = performance.now() - started;
  if (child.pid === undefined) return fail('no process id');
  return { url, pid: child.pid, firstAnswerMs, stop };
}

// ---------------------------------------------------------------------------
// Measurements

interface CreatePhase {
  clients: number;
  created: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  rate: number;
  p50: number | undefined;
  p99: number | undefined;
}

interface ListRun {
  ms: number | undefined;
  items: number | undefined;
  paginated: boolean;
  error: string | undefined;
}

interface Results {
  label: string;
  url: string;
  firstAnswerMs: number | undefined;
  networkMs: number;
  subnetMs: number;
  single: CreatePhase;
  parallel: CreatePhase;
  fill: { created: number; seconds: number; bulk: boolean; error: string | undefined };
  listAll: ListRun;
  listFiltered: ListRun;
  memory: Memory | undefined;
  pidKnown: boolean;
  stream: StreamRun | undefined;
}

interface StreamRun {
  ports: number;
  ms: number | undefined;
  bytes: number;
  rssBeforeMb: number | undefined;
  rssPeakMb: number | undefined;
  error: string | undefined;
}

function step(text: string): void {
  process.stdout.write(`  · ${text}\n`);
}

/** `total` port creates from `clients` concurrent loops over one keep-alive pool. */
async function createPorts(url: string, token: string | undefined, networkId: string, total: number, clients: number): Promise<CreatePhase> {
  const client = new Client(url, token, clients);
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (issued < total) {
          issued++;
          try {
            const reply = await client.request('POST', '/v2.0/ports', { port: { network_id: networkId } });
            if (reply.status === 201) latencies.push(reply.ms);
            else {
              errors++;
              firstError ??= describe('POST', '/v2.0/ports', reply);
            }
          } catch (error) {
            errors++;
            firstError ??= `POST /v2.0/ports: ${(error as Error).message}`;
          }
        }
      }),
    );
  } finally {
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    clients,
    created: latencies.length,
    errors,
    firstError,
    seconds,
    rate: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function portIdsOnNetwork(client: Client, networkId: string): Promise<string[]> {
  const path = `/v2.0/ports?network_id=${networkId}&fields=id`;
  const reply = await expect(client, 200, 'GET', path);
  const ports = field(reply.body, 'ports');
  if (!Array.isArray(ports)) throw new BenchError(`GET ${path}: no ports list in the answer`);
  return ports.map((p) => field(p, 'id')).filter((id): id is string => typeof id === 'string');
}

/** Brings the network to `target` ports: bulk creates of `batch`, 4 at a time. */
async function fillPorts(
  url: string,
  token: string | undefined,
  networkId: string,
  have: number,
  target: number,
  batch: number,
): Promise<Results['fill']> {
  const missing = Math.max(0, target - have);
  const client = new Client(url, token, 4);
  let created = 0;
  let error: string | undefined;
  let bulk = true;
  const started = performance.now();
  try {
    let left = missing;
    const takeBatch = () => {
      const n = Math.min(batch, left);
      left -= n;
      return n;
    };
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let n = takeBatch(); n > 0 && error === undefined; n = takeBatch()) {
          if (bulk) {
            const body = { ports: Array.from({ length: n }, () => ({ network_id: networkId })) };
            const reply = await client.request('POST', '/v2.0/ports', body);
            const ports = field(reply.body, 'ports');
            if (reply.status === 201 && Array.isArray(ports)) {
              created += ports.length;
              continue;
            }
            if (created === 0 && reply.status !== 409) {
              // No bulk support (allow_bulk = False, or not implemented):
              // fall back to single creates for the rest.
              bulk = false;
            } else {
              error = describe('POST', '/v2.0/ports (bulk)', reply);
              break;
            }
          }
          for (let i = 0; i < n && error === undefined; i++) {
            const reply = await client.request('POST', '/v2.0/ports', { port: { network_id: networkId } });
            if (reply.status === 201) created++;
            else error = describe('POST', '/v2.0/ports', reply);
          }
        }
      }),
    );
  } catch (e) {
    error ??= (e as Error).message;
  } finally {
    client.close();
  }
  return { created, seconds: (performance.now() - started) / 1000, bulk, error };
}

async function timeList(url: string, token: string | undefined, path: string, runs: number): Promise<ListRun> {
  const client = new Client(url, token, 1);
  const times: number[] = [];
  let items: number | undefined;
  let paginated = false;
  try {
    for (let i = 0; i < runs; i++) {
      const reply = await client.request('GET', path);
      if (reply.status !== 200) return { ms: undefined, items, paginated, error: describe('GET', path, reply) };
      times.push(reply.ms);
      const ports = field(reply.body, 'ports');
      items = Array.isArray(ports) ? ports.length : undefined;
      paginated = field(reply.body, 'ports_links') !== undefined;
    }
  } catch (e) {
    return { ms: undefined, items, paginated, error: `GET ${path}: ${(e as Error).message}` };
  } finally {
    client.close();
  }
  return { ms: median(times), items, paginated, error: undefined };
}

/** Resident memory of a set of processes, in MB (those that ended count nothing). */
async function rssOf(pids: readonly number[]): Promise<number> {
  let kb = 0;
  for (const pid of pids) kb += (await statusKb(pid, 'VmRSS')) ?? 0;
  return kb / 1024;
}

/**
 * One `GET /v2.0/ports` of every port, read and dropped as it arrives (the
 * bench holds none of it), with the server's RSS just before and its peak
 * while answering, sampled every 10 ms.
 */
async function streamList(url: string, token: string | undefined, pid: number, ports: number): Promise<StreamRun> {
  const pids = await processTree(pid);
  // Let the fill's garbage settle as it would in a server at rest.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const rssBeforeMb = await rssOf(pids);
  let rssPeakMb = rssBeforeMb;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      rssPeakMb = Math.max(rssPeakMb, await rssOf(pids));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const base = new URL(url);
  const started = performance.now();
  let bytes = 0;
  let tail = '';
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const transport = base.protocol === 'https:' ? https : http;
      const headers: http.OutgoingHttpHeaders = { Accept: 'application/json', ...(token === undefined ? {} : { 'X-Auth-Token': token }) };
      const req = transport.get(`${url.replace(/\/+$/, '')}/v2.0/ports`, { headers }, (res) => {
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          tail = (tail + chunk.toString('latin1')).slice(-2);
        });
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('the answer was cut')));
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.setTimeout(600_000, () => req.destroy(new Error('no answer in 600 s')));
      req.on('error', reject);
    });
    const ms = performance.now() - started;
    const error = status !== 200 ? `GET /v2.0/ports: HTTP ${status}` : tail !== ']}' ? 'GET /v2.0/ports: the body does not end as a list' : undefined;
    return { ports, ms: error === undefined ? ms : undefined, bytes, rssBeforeMb, rssPeakMb, error };
  } catch (e) {
    return { ports, ms: undefined, bytes, rssBeforeMb, rssPeakMb, error: `GET /v2.0/ports: ${(e as Error).message}` };
  } finally {
    sampling = false;
    await sampler;
  }
}

interface QuotaLift {
  projectId: string;
  previous: number;
}

/**
 * Neutron's default port quota is 500 per project: lift it to unlimited for
 * the run when it would stop us (admin only; where there is no quota API or
 * we may not change it, go on and let the creates report OverQuota).
 */
async function liftPortQuota(client: Client, projectId: string, needed: number): Promise<QuotaLift | undefined> {
  const path = `/v2.0/quotas/${projectId}`;
  const reply = await client.request('GET', path).catch(() => undefined);
  if (reply?.status !== 200) return undefined;
  const limit = field(field(reply.body, 'quota'), 'port');
  if (typeof limit !== 'number' || limit < 0) return undefined;
  const details = await client.request('GET', `${path}/details`).catch(() => undefined);
  const used = field(field(field(details?.body, 'quota'), 'port'), 'used');
  if (limit >= needed + (typeof used === 'number' ? used : 0)) return undefined;
  const put = await client.request('PUT', path, { quota: { port: -1 } });
  if (put.status !== 200) {
    step(`port quota ${limit} is too small and could not be lifted (${describe('PUT', path, put)})`);
    return undefined;
  }
  step(`lifted project ${projectId}'s port quota from ${limit} to unlimited for the run`);
  return { projectId, previous: limit };
}

/** Deletes the network's ports (C at a time), then the network (and so its subnet). */
async function cleanUp(url: string, token: string | undefined, networkId: string, clients: number): Promise<void> {
  const client = new Client(url, token, clients);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const ids = await portIdsOnNetwork(client, networkId);
      if (ids.length > 0) step(`deleting ${ids.length} ports`);
      let failed = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
            const reply = await client.request('DELETE', `/v2.0/ports/${id}`).catch(() => undefined);
            if (reply?.status !== 204 && reply?.status !== 404) failed++;
          }
        }),
      );
      const reply = await client.request('DELETE', `/v2.0/networks/${networkId}`);
      if (reply.status === 204 || reply.status === 404) {
        step(`deleted network ${networkId}`);
        return;
      }
      if (attempt === 2 || reply.status !== 409) {
        throw new BenchError(`${describe('DELETE', `/v2.0/networks/${networkId}`, reply)} (${failed} port deletes failed)`);
      }
    }
  } finally {
    client.close();
  }
}

async function measure(label: string, target: TargetOptions | undefined, options: Options): Promise<Results> {
  process.stdout.write(`\n${label}\n`);
  let spawned: Spawned | undefined;
  if (target === undefined) spawned = await spawnNucleon();
  const url = spawned?.url ?? target?.url ?? '';
  const token = target?.token;
  const pid = spawned?.pid ?? target?.pid;
  if (spawned !== undefined) step(`first answer after ${spawned.firstAnswerMs.toFixed(0)} ms (pid ${spawned.pid}, ${url})`);
  else step(`target ${url}${pid === undefined ? '' : ` (pid ${pid})`}`);

  const client = new Client(url, token, 1);
  let networkId: string | undefined;
  let quota: QuotaLift | undefined;
  const externalCleanup = () => {
    if (networkId !== undefined && spawned === undefined) {
      process.stderr.write(`interrupted: network ${networkId} and its ports are left on ${url}\n`);
    }
  };
  cleanups.add(externalCleanup);
  try {
    const name = `nucleon-bench-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    step(`creating network ${name} and subnet ${options.cidr}`);
    const network = await expect(client, 201, 'POST', '/v2.0/networks', { network: { name } });
    networkId = idOf(network.body, 'network');
    const projectId = field(field(network.body, 'network'), 'project_id');
    const subnet = await expect(client, 201, 'POST', '/v2.0/subnets', {
      subnet: { name, network_id: networkId, ip_version: 4, cidr: options.cidr },
    });
    const needed = Math.max(options.list, options.stream, 2 * options.ports);
    if (typeof projectId === 'string') quota = await liftPortQuota(client, projectId, needed);

    step(`${options.ports} port creates, 1 client`);
    const single = await createPorts(url, token, networkId, options.ports, 1);
    step(`${options.ports} port creates, ${options.clients} clients`);
    const parallel = await createPorts(url, token, networkId, options.ports, options.clients);

    const have = (await portIdsOnNetwork(client, networkId)).length;
    step(`bulk creates (batches of ${options.batch}) from ${have} to ${options.list} ports on the network`);
    const fill = await fillPorts(url, token, networkId, have, options.list, options.batch);
    if (fill.error !== undefined) step(`bulk creates stopped: ${fill.error}`);

    step(`GET /v2.0/ports x${options.runs}`);
    const listAll = await timeList(url, token, '/v2.0/ports', options.runs);
    step(`GET /v2.0/ports?network_id=...&fields=id&fields=fixed_ips x${options.runs}`);
    const listFiltered = await timeList(
      url,
      token,
      `/v2.0/ports?network_id=${networkId}&fields=id&fields=fixed_ips`,
      options.runs,
    );
    const memory = pid === undefined ? undefined : await memoryOf(pid);

    let stream: StreamRun | undefined;
    if (options.stream > 0 && pid !== undefined) {
      const on = (await portIdsOnNetwork(client, networkId)).length;
      step(`bulk creates from ${on} to ${options.stream} ports on the network`);
      const more = await fillPorts(url, token, networkId, on, options.stream, options.batch);
      if (more.error !== undefined) step(`bulk creates stopped: ${more.error}`);
      step(`GET /v2.0/ports of ${on + more.created} ports, RSS sampled`);
      stream = await streamList(url, token, pid, on + more.created);
    } else if (options.stream > 0) {
      step('--stream needs the server\'s process (--pid): not measured');
    }

    return {
      label,
      url,
      firstAnswerMs: spawned?.firstAnswerMs,
      networkMs: network.ms,
      subnetMs: subnet.ms,
      single,
      parallel,
      fill,
      listAll,
      listFiltered,
      memory,
      pidKnown: pid !== undefined,
      stream,
    };
  } finally {
    cleanups.delete(externalCleanup);
    if (spawned === undefined && networkId !== undefined) {
      step('cleaning up');
      await cleanUp(url, token, networkId, options.clients).catch((e: Error) =>
        process.stderr.write(`cleanup failed: ${e.message}\n`),
      );
    }
    if (spawned === undefined && quota !== undefined) {
      const path = `/v2.0/quotas/${quota.projectId}`;
      const reply = await client.request('PUT', path, { quota: { port: quota.previous } }).catch(() => undefined);
      if (reply?.status === 200) step(`port quota restored to ${quota.previous}`);
      else process.stderr.write(`could not restore the port quota of ${quota.projectId} to ${quota.previous}\n`);
    }
    client.close();
    if (spawned !== undefined) {
      step('stopping the server');
      await spawned.stop();
    }
  }
}

// ---------------------------------------------------------------------------
// Report

type Better = 'higher' | 'lower';

interface Row {
  label: string;
  unit: string;
  better: Better | undefined;
  target: number | undefined;
  value: (r: Results) => number | undefined;
  note?: (r: Results) => string | undefined;
}

function rows(options: Options): Row[] {
  const phase = (key: 'single' | 'parallel', title: string, target: number): Row[] => [
    { label: `${title}: creates/s`, unit: '/s', better: 'higher', target, value: (r) => r[key].rate, note: (r) => r[key].firstError },
    { label: `${title}: p50`, unit: 'ms', better: 'lower', target: undefined, value: (r) => r[key].p50 },
    { label: `${title}: p99`, unit: 'ms', better: 'lower', target: undefined, value: (r) => r[key].p99 },
    { label: `${title}: errors`, unit: '', better: 'lower', target: undefined, value: (r) => r[key].errors },
  ];
  const list = (key: 'listAll' | 'listFiltered', title: string): Row[] => [
    {
      label: title,
      unit: 'ms',
      better: 'lower',
      target: 300,
      value: (r) => r[key].ms,
      note: (r) =>
        r[key].error ??
        (r[key].items === undefined
          ? undefined
          : `${r[key].items} ports returned${r[key].paginated ? ', paginated' : ''}`),
    },
  ];
  return [
    { label: 'first answer (spawn to GET / 200)', unit: 'ms', better: 'lower', target: 1000, value: (r) => r.firstAnswerMs },
    { label: 'network create', unit: 'ms', better: 'lower', target: undefined, value: (r) => r.networkMs },
    { label: `subnet create (/${options.cidr.split('/')[1] ?? '?'} IPv4)`, unit: 'ms', better: 'lower', target: undefined, value: (r) => r.subnetMs },
    ...phase('single', `${options.ports} creates, 1 client`, 200),
    ...phase('parallel', `${options.ports} creates, ${options.clients} clients`, 400),
    {
      label: `fill to ${options.list} ports: ports/s`,
      unit: '/s',
      better: 'higher',
      target: undefined,
      value: (r) => (r.fill.created === 0 ? undefined : r.fill.created / r.fill.seconds),
      note: (r) => r.fill.error ?? (r.fill.created === 0 ? undefined : `${r.fill.created} ports${r.fill.bulk ? ', bulk' : ', single creates (no bulk)'}`),
    },
    ...list('listAll', `list all ports, all fields (median of ${options.runs})`),
    ...list('listFiltered', `list network_id=X, fields=id,fixed_ips (median of ${options.runs})`),
    {
      label: 'server RSS',
      unit: 'MB',
      better: 'lower',
      target: 150,
      value: (r) => r.memory?.rssMb,
      note: (r) =>
        r.memory === undefined
          ? r.pidKnown
            ? 'process not readable'
            : 'no --pid'
          : `peak ${r.memory.peakMb?.toFixed(0) ?? '?'} MB${r.memory.processes > 1 ? `, ${r.memory.processes} processes` : ''}`,
    },
    ...(options.stream > 0 ? streamRows(options.stream) : []),
  ];
}

function streamRows(ports: number): Row[] {
  const run = (r: Results) => r.stream;
  return [
    {
      label: `list ${ports} ports, all fields, once`,
      unit: 'ms',
      better: 'lower',
      target: undefined,
      value: (r) => run(r)?.ms,
      note: (r) => run(r)?.error ?? (run(r) === undefined ? undefined : `${run(r)!.ports} ports, ${(run(r)!.bytes / 1048576).toFixed(0)} MB of JSON`),
    },
    { label: `server RSS before listing ${ports} ports`, unit: 'MB', better: 'lower', target: undefined, value: (r) => run(r)?.rssBeforeMb },
    {
      label: `server RSS peak while listing ${ports} ports`,
      unit: 'MB',
      better: 'lower',
      target: undefined,
      value: (r) => run(r)?.rssPeakMb,
      note: (r) => {
        const s = run(r);
        return s?.rssPeakMb === undefined || s.rssBeforeMb === undefined ? undefined : `+${(s.rssPeakMb - s.rssBeforeMb).toFixed(0)} MB over before`;
      },
    },
  ];
}

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  const digits = unit === 'ms' && value < 10 ? 1 : 0;
  return `${value.toFixed(digits)}${unit === '' ? '' : ` ${unit}`}`;
}

function verdict(row: Row, value: number | undefined): string {
  if (row.target === undefined) return '';
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  const ok = row.better === 'higher' ? value >= row.target : value < row.target;
  return ok ? 'pass' : 'MISS';
}

function targetText(row: Row): string {
  if (row.target === undefined) return '';
  return `${row.better === 'higher' ? '>=' : '<'} ${row.target} ${row.unit}`;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => (line[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(render)].join('\n');
}

function report(options: Options, a: Results, b: Results | undefined): void {
  // rows nobody measured (first answer, for servers we did not start) are left out
  const measured = (row: Row, r: Results | undefined) =>
    r !== undefined && (row.value(r) !== undefined || row.note?.(r) !== undefined);
  const all = rows(options).filter((row) => measured(row, a) || measured(row, b));
  process.stdout.write('\n');
  if (b === undefined) {
    const body = all.map((row) => {
      const value = row.value(a);
      return [row.label, formatValue(value, row.unit), targetText(row), verdict(row, value), row.note?.(a) ?? ''];
    });
    process.stdout.write(`${a.label}\n${table(['measurement', 'value', 'target', 'result', 'note'], body)}\n`);
  } else {
    const body = all.map((row) => {
      const va = row.value(a);
      const vb = row.value(b);
      let ratio = '';
      if (va !== undefined && vb !== undefined && va > 0 && vb > 0 && row.better !== undefined && row.unit !== '') {
        ratio = `${(row.better === 'higher' ? va / vb : vb / va).toFixed(2)}x`;
      }
      return [
        row.label,
        formatValue(va, row.unit),
        verdict(row, va),
        formatValue(vb, row.unit),
        verdict(row, vb),
        ratio,
        targetText(row),
      ];
    });
    process.stdout.write(
      `${table(['measurement', 'A', 'result', 'B', 'result', 'A vs B', 'target'], body)}\n` +
        `A = ${a.label}, B = ${b.label}; "A vs B" > 1 means A is better (faster, smaller).\n`,
    );
    const notes = all
      .flatMap((row) => [['A', row.note?.(a)], ['B', row.note?.(b)]].map(([who, note]) => (note ? `  ${who} ${row.label}: ${note}` : '')))
      .filter((line) => line !== '');
    if (notes.length > 0) process.stdout.write(`notes:\n${notes.join('\n')}\n`);
  }
}

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const onSignal = () => {
    for (const cleanup of cleanups) cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  process.stdout.write(
    `Neutron port benchmark: ${options.ports} creates x (1, ${options.clients} clients), ` +
      `list ${options.list} ports, median of ${options.runs}\n`,
  );
  try {
    const a = await measure(
      options.primary === undefined ? 'nucleon all-in-one (spawned)' : `server at ${options.primary.url}`,
      options.primary,
      options,
    );
    const b = options.compare === undefined ? undefined : await measure(`server at ${options.compare.url}`, options.compare, options);
    report(options, a, b);
    return 0;
  } catch (e) {
    if (e instanceof BenchError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main();

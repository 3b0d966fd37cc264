/**
 * The commands as an operator runs them: `node bin/...` processes with a
 * neutron.conf written to a temporary directory, over real databases.
 *
 *   nucleon all-in-one --state-dir D [--config-file F]
 *   nucleon-db-manage --config-file F upgrade head | current
 *   nucleon-server --config-file F
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { headRevision } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDialect } from '../db/databases.js';
import { freePort } from '../helpers/testApi.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NUCLEON = 'bin/nucleon.js';
const SERVER = 'bin/nucleon-server.js';
const DB_MANAGE = 'bin/nucleon-db-manage.js';

// ---------------------------------------------------------------------------
// Processes

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Process {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Exited>;
  /** Resolves with the exit once the process has ended; undefined while it runs. */
  exit(): Exited | undefined;
  /** SIGTERM to the whole process group (api_workers' children too), SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<Exited>;
}

/** Every process a test starts, so that `after` can stop what a failing test left running. */
const running = new Set<Process>();

function start(script: string, args: readonly string[]): Process {
  const env = { ...process.env };
  delete env['NUCLEON_DEBUG'];
  const child = spawn(process.execPath, [join(REPO, script), ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that stop() reaches the API workers it forks.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exit: Exited | undefined;
  const exited = new Promise<Exited>((resolve) =>
    child.once('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  const proc: Process = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    exit: () => exit,
    async stop() {
      if (!exit) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      // A worker that outlived its primary would still be in the group.
      signalGroup('SIGKILL');
      return exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

after(async () => {
  await Promise.all([...running].map((proc) => proc.stop()));
});

interface Finished extends Exited {
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after 30 s). */
async function run(script: string, args: readonly string[]): Promise<Finished> {
  const proc = start(script, args);
  const timer = setTimeout(() => void proc.stop(), 30_000);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Both outputs, for assertion messages. */
const show = (result: Finished) => `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
const showProcess = (proc: Process) => `stdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`;

/** Waits until `check` returns a value; fails when the process exits first or after `ms`. */
async function waitFor<T>(proc: Process, what: string, check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    const exit = proc.exit();
    if (exit) assert.fail(`the process exited (${JSON.stringify(exit)}) before ${what}\n${showProcess(proc)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`no ${what} within ${ms} ms\n${showProcess(proc)}`);
}

interface Versions {
  versions: { id: string; status: string; links: { rel: string; href: string }[] }[];
}

/** Waits until GET {base}/ answers 200 and returns its body. */
function waitServing(proc: Process, base: string): Promise<Versions> {
  return waitFor(proc, `an answer from ${base}`, async () => {
    try {
      const response = await fetch(`${base}/`);
      const text = await response.text();
      return response.status === 200 ? (JSON.parse(text) as Versions) : undefined;
    } catch {
      return undefined;
    }
  });
}

/** One line on stderr, no stack frames: what an operator sees for a mistake they can fix. */
function assertOneLine(stderr: string): string {
  assert.doesNotMatch(stderr, /^\s+at /m, `a stack trace on stderr:\n${stderr}`);
  assert.ok(stderr.endsWith('\n'), `stderr ends with a newline: ${JSON.stringify(stderr)}`);
  const lines = stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `exactly one line on stderr:\n${stderr}`);
  return lines[0]!;
}

/** oslo.log-style lines: `2026-12-06 15:03:51.123 <pid> <LEVEL> <name> [<request id> <project>|-] <message> key=value...`. */
const LOG_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (\d+) ([A-Z]+) \S+ \[[^\]]*\] (.*)$/;

/** The log lines on stderr at WARNING or above: their level, and their message followed by its fields. */
const warningsIn = (stderr: string) =>
  stderr
    .split('\n')
    .map((line) => LOG_LINE.exec(line))
    .filter((m) => m !== null && ['WARNING', 'ERROR', 'CRITICAL'].includes(m[2]!))
    .map((m) => ({ level: m![2]!, msg: m![3]! }));

// ---------------------------------------------------------------------------
// Files and databases

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nucleon-commands-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let files = 0;
/** Writes a neutron.conf into the temporary directory and returns its absolute path. */
async function conf(text: string): Promise<string> {
  const file = join(dir, `neutron-${++files}.conf`);
  await writeFile(file, text);
  return file;
}

const sqliteUrl = (name: string) => `sqlite:///${join(dir, name)}`;

/** A neutron.conf for nucleon-server on 127.0.0.1:port over `connection`, plus `extra` lines in [DEFAULT]. */
const serverConf = (port: number, connection: string, extra: readonly string[] = []) =>
  conf(
    [
      '[DEFAULT]',
      'auth_strategy = noauth',
      'bind_host = 127.0.0.1',
      `bind_port = ${port}`,
      ...extra,
      '',
      '[database]',
      `connection = ${connection}`,
      '',
    ].join('\n'),
  );

/**
 * The URL as the install guide writes it, `mysql+pymysql://root@127.0.0.1/<db>`
 * (no port: the default one), from the one createTestDatabase returns.
 */
function guideStyleUrl(url: string): string {
  return url.replace(/^mysql(\+pymysql)?:\/\//, 'mysql+pymysql://').replace(/@127\.0\.0\.1:(3306|5432)\//, '@127.0.0.1/');
}

// ---------------------------------------------------------------------------

describe('nucleon all-in-one', () => {
  it('prints its URL and a ready line, serves the versions document on the bind_port a config file sets', async (t) => {
    const port = await freePort();
    const stateDir = join(dir, 'all-in-one-state');
    const file = await conf(`[DEFAULT]\nbind_port = ${port}\n`);
    const proc = start(NUCLEON, ['all-in-one', '--api-only', '--state-dir', stateDir, '--config-file', file]);
    t.after(() => proc.stop());

    const ready = await waitFor(proc, 'the ready line', () => /^ready in (\d+) ms$/m.exec(proc.stdout())?.[0]);
    t.diagnostic(`all-in-one: ${ready}`);
    const base = `http://127.0.0.1:${port}`;
    assert.match(proc.stdout(), new RegExp(`^Nucleon all-in-one: Networking API at ${base} \\(state in ${stateDir}\\)$`, 'm'));

    const response = await fetch(`${base}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), {
      versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2.0/` }] }],
    });
    // The embedded database is migrated and usable.
    const networks = await fetch(`${base}/v2.0/networks`);
    assert.equal(networks.status, 200);
    assert.deepEqual(await networks.json(), { networks: [] });
    assert.ok(existsSync(join(stateDir, 'nucleon.sqlite')), 'the SQLite database is in the state dir');

    assert.deepEqual(await proc.stop(), { code: 0, signal: null }, 'SIGTERM is a clean stop');
    assert.deepEqual(warningsIn(proc.stderr()), []);
  });

  it('a config file overrides the embedded database too', async (t) => {
    const port = await freePort();
    const stateDir = join(dir, 'all-in-one-override');
    const database = join(dir, 'elsewhere.sqlite');
    const file = await conf(`[DEFAULT]\nbind_port = ${port}\n\n[database]\nconnection = sqlite:///${database}\n`);
    const proc = start(NUCLEON, ['all-in-one', '--api-only', '--state-dir', stateDir, '--config-file', file]);
    t.after(() => proc.stop());
    await waitFor(proc, 'the ready line', () => (/^ready in \d+ ms$/m.test(proc.stdout()) ? true : undefined));
    const created = await fetch(`http://127.0.0.1:${port}/v2.0/networks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ network: { name: 'n1' } }),
    });
    assert.equal(created.status, 201);
    await proc.stop();
    assert.ok(existsSync(database), 'the configured database was used');
    assert.ok(!existsSync(join(stateDir, 'nucleon.sqlite')), 'not the default one');
  });
});

describe('nucleon-db-manage upgrade head, then current', { concurrency: true }, () => {
  const dialects: TestDialect[] = ['sqlite', 'mysql', 'postgres'];
  for (const dialect of dialects) {
    it(`${dialect}: a fresh database ends at the head revision`, async (t) => {
      const database = await createTestDatabase(dialect);
      t.after(() => database.drop());
      const url = guideStyleUrl(database.url);
      if (dialect === 'mysql') assert.match(url, /^mysql\+pymysql:\/\/root@127\.0\.0\.1\/nucleon_test_\w+$/);
      const file = await conf(`[database]\nconnection = ${url}\n`);

      // The empty database and the idempotent re-run on one backend only: every process costs a second.
      if (dialect === 'sqlite') {
        const empty = await run(DB_MANAGE, ['--config-file', file, 'current']);
        assert.equal(empty.code, 0, show(empty));
        assert.match(empty.stdout, /no revision/);
      }

      const upgrade = await run(DB_MANAGE, ['--config-file', file, 'upgrade', 'head']);
      assert.equal(upgrade.code, 0, show(upgrade));
      assert.match(upgrade.stdout, new RegExp(`Applied ${headRevision()}`));
      assert.match(upgrade.stdout, /^ {2}OK$/m);
      assert.equal(upgrade.stderr, '');

      const current = await run(DB_MANAGE, ['--config-file', file, 'current']);
      assert.equal(current.code, 0, show(current));
      assert.match(current.stdout, new RegExp(`^${headRevision()} \\(head\\)$`, 'm'));

      if (dialect === 'sqlite') {
        const again = await run(DB_MANAGE, ['--config-file', file, 'upgrade', 'head']);
        assert.equal(again.code, 0, show(again));
        assert.match(again.stdout, new RegExp(`Already at ${headRevision()}`));
      }
    });
  }
});

describe('nucleon-server and the schema revision', () => {
  it('refuses an empty database naming the upgrade command, serves after upgrade head', async (t) => {
    const port = await freePort();
    const file = await serverConf(port, sqliteUrl('behind.sqlite'));

    const refused = await run(SERVER, ['--config-file', file]);
    assert.equal(refused.code, 1, show(refused));
    const line = assertOneLine(refused.stderr);
    assert.match(line, /^nucleon-server: /);
    assert.match(line, /nucleon-db-manage/);
    assert.match(line, /upgrade head/);
    assert.equal(refused.stdout, '');

    const upgrade = await run(DB_MANAGE, ['--config-file', file, 'upgrade', 'head']);
    assert.equal(upgrade.code, 0, show(upgrade));

    const server = start(SERVER, ['--config-file', file]);
    t.after(() => server.stop());
    const versions = await waitServing(server, `http://127.0.0.1:${port}`);
    assert.equal(versions.versions[0]?.id, 'v2.0');
    const networks = await fetch(`http://127.0.0.1:${port}/v2.0/networks`);
    assert.equal(networks.status, 200);
    assert.deepEqual(await networks.json(), { networks: [] });
    assert.deepEqual(await server.stop(), { code: 0, signal: null }, 'SIGTERM is a clean stop');
  });
});

describe('bad configuration: exit 1, one line on stderr naming file, section and option', { concurrency: true }, () => {
  // Every case on nucleon-server; each of the other two commands gets one, so that they are covered without a process per pair.
  const cases: { name: string; conf: string; expect: RegExp[]; alsoBy: string }[] = [
    {
      name: 'bind_port = abc',
      conf: `[DEFAULT]\nauth_strategy = noauth\nbind_port = abc\n[database]\nconnection = @UNUSED_DB@\n`,
      expect: [/\[DEFAULT\]/, /\bbind_port\b/, /'abc'/],
      alsoBy: DB_MANAGE,
    },
    {
      name: 'base_mac = zz:zz',
      conf: `[DEFAULT]\nauth_strategy = noauth\nbase_mac = zz:zz\n[database]\nconnection = @UNUSED_DB@\n`,
      expect: [/\[DEFAULT\]/, /\bbase_mac\b/, /'zz:zz'/],
      alsoBy: NUCLEON,
    },
    {
      name: '[database] connection = oracle://x',
      conf: `[DEFAULT]\nauth_strategy = noauth\n[database]\nconnection = oracle://x\n`,
      expect: [/\[database\]/, /\bconnection\b/, /oracle/],
      alsoBy: DB_MANAGE,
    },
  ];
  for (const c of cases) {
    for (const command of [SERVER, c.alsoBy]) {
      it(`${c.name}: ${command}`, async () => {
        const unused = join(dir, `unused-${files}.sqlite`);
        const file = await conf(c.conf.replace('@UNUSED_DB@', `sqlite:///${unused}`));
        const args =
          command === NUCLEON
            ? ['all-in-one', '--api-only', '--state-dir', join(dir, `state-${files}`), '--config-file', file]
            : command === DB_MANAGE
              ? ['--config-file', file, 'upgrade', 'head']
              : ['--config-file', file];
        const result = await run(command, args);
        assert.equal(result.code, 1, show(result));
        const line = assertOneLine(result.stderr);
        assert.ok(line.includes(file), `names the file ${file}: ${line}`);
        for (const pattern of c.expect) assert.match(line, pattern);
        assert.ok(!existsSync(unused), 'no database was opened');
      });
    }
  }

  it('a missing config file', async () => {
    const missing = join(dir, 'no-such-neutron.conf');
    const result = await run(SERVER, ['--config-file', missing]);
    assert.equal(result.code, 1, show(result));
    const line = assertOneLine(result.stderr);
    assert.match(line, /^nucleon-server: /);
    assert.ok(line.includes(missing), `names the file: ${line}`);
    assert.match(line, /no such file/i);
  });
});

describe("nucleon-server with the install guide's controller neutron.conf", () => {
  it('starts with auth_strategy = noauth and a SQLite connection appended, without warnings', async (t) => {
    const guide = await readFile(join(REPO, 'test/config/fixtures/neutron.conf'), 'utf8');
    assert.match(guide, /auth_strategy = keystone/);
    assert.match(guide, /\[keystone_authtoken\]/);
    assert.match(guide, /transport_url = rabbit:/);
    const port = await freePort();
    const connection = sqliteUrl('guide.sqlite');
    // Appended as an operator would: the sections again, later values win (oslo.config merges repeated sections).
    const file = await conf(
      `${guide}\n[DEFAULT]\nauth_strategy = noauth\nbind_host = 127.0.0.1\nbind_port = ${port}\n\n[database]\nconnection = ${connection}\n`,
    );

    const upgrade = await run(DB_MANAGE, ['--config-file', file, 'upgrade', 'head']);
    assert.equal(upgrade.code, 0, show(upgrade));
    assert.equal(upgrade.stderr, '', 'no warnings from nucleon-db-manage');

    const server = start(SERVER, ['--config-file', file]);
    t.after(() => server.stop());
    await waitServing(server, `http://127.0.0.1:${port}`);
    const networks = await fetch(`http://127.0.0.1:${port}/v2.0/networks`);
    assert.equal(networks.status, 200);
    await networks.text();
    await server.stop();
    // The guide's RabbitMQ (`controller`) does not exist here: the API serves anyway and the bus keeps retrying.
    const warnings = warningsIn(server.stderr());
    assert.deepEqual(
      warnings.filter((w) => !w.msg.startsWith('cannot connect to RabbitMQ; retrying')),
      [],
      'no configuration warnings from nucleon-server',
    );
  });
});

describe('nucleon-server with api_workers = 2', () => {
  it('two worker processes serve the port', async (t) => {
    const port = await freePort();
    const file = await serverConf(port, sqliteUrl('workers.sqlite'), ['api_workers = 2']);
    const upgrade = await run(DB_MANAGE, ['--config-file', file, 'upgrade', 'head']);
    assert.equal(upgrade.code, 0, show(upgrade));

    const server = start(SERVER, ['--config-file', file]);
    t.after(() => server.stop());
    const base = `http://127.0.0.1:${port}`;
    await waitServing(server, base);

    // Each worker logs that it serves, with its pid.
    const servingPids = () =>
      new Set(
        server
          .stderr()
          .split('\n')
          .filter((line) => line.includes('serving the Networking API'))
          .map((line) => Number(LOG_LINE.exec(line)?.[1])),
      );
    const pids = await waitFor(server, 'two serving workers', () => (servingPids().size >= 2 ? servingPids() : undefined));
    assert.equal(pids.size, 2, `exactly two workers: ${[...pids].join(', ')}`);
    assert.ok(!pids.has(server.child.pid!), 'the workers are not the primary');

    const { stdout } = await promisify(execFile)('ps', ['--ppid', String(server.child.pid), '-o', 'pid=']);
    const children = new Set(stdout.split('\n').map((s) => s.trim()).filter(Boolean).map(Number));
    assert.deepEqual(children, pids, 'the serving processes are the primary\'s children');

    const responses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response =
          i % 2 === 0
            ? await fetch(`${base}/v2.0/networks`)
            : await fetch(`${base}/v2.0/networks`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ network: { name: `w${i}` } }),
              });
        await response.text();
        return response.status;
      }),
    );
    assert.deepEqual(responses, Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 200 : 201)));
    const listed = (await (await fetch(`${base}/v2.0/networks`)).json()) as { networks: unknown[] };
    assert.equal(listed.networks.length, 10);

    await server.stop();
    // Nothing of the group is left.
    const left = await promisify(execFile)('ps', ['--ppid', String(server.child.pid), '-o', 'pid=']).catch(() => ({ stdout: '' }));
    assert.equal(left.stdout.trim(), '');
  });
});

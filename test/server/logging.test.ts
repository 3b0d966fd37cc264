/**
 * Logging as oslo.log users expect it: the options choose the file
 * (<log_dir>/<binary>.log), the format (readable lines, JSON on request),
 * a bad location stops the process naming the option; and a real server
 * logs every API request once, with its request id, project, method, path,
 * status and time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';

import { ConfigError } from '../../src/common/errors.js';
import { formatRecord } from '../../src/common/logFormat.js';
import { loadConfig } from '../../src/config/load.js';
import { startApiServer } from '../../src/server/apiServer.js';
import { serverOptionGroups } from '../../src/server/config.js';
import { createLogger, loggingSettings } from '../../src/server/logger.js';
import { freePort } from '../helpers/testApi.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-logging-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** neutron.conf with these [DEFAULT] lines, loaded as the server loads it. */
function load(lines: readonly string[]) {
  const file = join(dir, `neutron-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, ['[DEFAULT]', ...lines, ''].join('\n'));
  return { file, loaded: loadConfig({ files: [file], groups: serverOptionGroups }) };
}

async function fileText(path: string, until: (text: string) => boolean): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = readFileSync(path, 'utf8');
    if (until(text)) return text;
    await sleep(20);
  }
  return readFileSync(path, 'utf8');
}

describe('log lines', () => {
  it('reads as oslo.log writes them: time, pid, level, name, [request id project], message, fields', () => {
    const line = formatRecord({
      level: 30,
      time: Date.UTC(2026, 11, 6, 15, 3, 51, 123),
      pid: 4242,
      hostname: 'controller',
      name: 'nucleon-server',
      request_id: 'req-1',
      project_id: 'p1',
      http: { method: 'GET' },
      msg: 'GET /v2.0/networks status: 200 time: 0.0040',
    });
    assert.equal(line, '2026-12-06 15:03:51.123 4242 INFO nucleon-server [req-1 p1] GET /v2.0/networks status: 200 time: 0.0040');
    const warning = formatRecord({ level: 40, time: 0, pid: 1, name: 'nucleon-dhcp-agent', msg: 'dnsmasq failed', agent: 'dhcp', failures: 3, why: 'a b' });
    assert.equal(warning, '1970-01-01 00:00:00.000 1 WARNING nucleon-dhcp-agent [-] dnsmasq failed agent=dhcp failures=3 why="a b"');
    const failed = formatRecord({ level: 50, time: 0, pid: 1, name: 'nucleon-server', reqId: 'req-3', msg: 'request failed' });
    assert.equal(failed, '1970-01-01 00:00:00.000 1 ERROR nucleon-server [req-3 -] request failed');
    const error = formatRecord({ level: 50, time: 0, pid: 1, name: 'n', msg: 'pass failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } });
    assert.equal(error, '1970-01-01 00:00:00.000 1 ERROR n [-] pass failed: boom\n    Error: boom\n        at x');
  });
});

describe('[DEFAULT] log_file, log_dir, use_json, use_stderr', () => {
  it('log_dir alone: <log_dir>/<binary>.log, in readable lines', async () => {
    const logDir = join(dir, 'var-log-neutron');
    const settings = loggingSettings(load([`log_dir = ${logDir}`]).loaded, 'nucleon-server');
    assert.equal(settings.file, join(logDir, 'nucleon-server.log'));
    assert.equal(settings.json, false);
    assert.equal(settings.stderr, false);
    createLogger('nucleon-server', settings).info({ request_id: 'req-2' }, 'hello file');
    const text = await fileText(settings.file!, (t) => t.includes('hello file'));
    assert.match(text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ INFO nucleon-server \[req-2 -\] hello file\n$/);
  });

  it('a relative log_file is under log_dir; use_json writes JSON lines', async () => {
    const logDir = join(dir, 'logs');
    const settings = loggingSettings(load([`log_dir = ${logDir}`, 'log_file = server.json', 'use_json = true', 'debug = true']).loaded, 'nucleon-server');
    assert.equal(settings.file, join(logDir, 'server.json'));
    createLogger('nucleon-server', settings).debug({ n: 1 }, 'as json');
    const text = await fileText(settings.file!, (t) => t.includes('as json'));
    const record = JSON.parse(text.trim()) as Record<string, unknown>;
    assert.equal(record['msg'], 'as json');
    assert.equal(record['level'], 20);
    assert.equal(record['n'], 1);
  });

  it('no log_file and no log_dir: standard error', () => {
    const settings = loggingSettings(load([]).loaded, 'nucleon-dhcp-agent');
    assert.equal(settings.file, undefined);
    assert.equal(settings.debug, false);
  });

  it('a log file that cannot be written stops the process, naming the file, section and option', () => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, '');
    const { file, loaded } = load([`log_dir = ${notADir}`]);
    assert.throws(
      () => loggingSettings(loaded, 'nucleon-server'),
      (err: unknown) => err instanceof ConfigError && err.message.includes(file) && /\[DEFAULT\] log_dir: cannot write the log file/.test(err.message),
    );
    assert.throws(() => load(['use_json = maybe']), (err: unknown) => err instanceof ConfigError && /\[DEFAULT\] use_json: 'maybe' is not a boolean/.test(err.message));
  });
});

describe('API request log', () => {
  it('logs every request once with its request id, project, method, path, status and time', async () => {
    const records: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
    const loaded = loadConfig({
      files: [],
      groups: serverOptionGroups,
      overrides: {
        DEFAULT: { bind_host: '127.0.0.1', bind_port: await freePort(), auth_strategy: 'noauth' },
        database: { connection: `sqlite:///${join(dir, 'requests.sqlite')}` },
      },
    });
    const server = await startApiServer(loaded, log, { migrate: true });
    try {
      const response = await fetch(`${server.url}/v2.0/networks?name=x`, { headers: { 'x-project-id': 'project-a', 'x-roles': 'member' } });
      await response.text();
      const requestId = response.headers.get('x-openstack-request-id');
      assert.match(requestId ?? '', /^req-[0-9a-f-]{36}$/);
      const missing = await fetch(`${server.url}/v2.0/nowhere`);
      await missing.text();
      await sleep(20);
      const lines = records.filter((r) => r['request_id'] === requestId);
      assert.equal(lines.length, 1, JSON.stringify(records));
      const line = lines[0]!;
      assert.equal(line['project_id'], 'project-a');
      assert.deepEqual({ ...(line['http'] as object), duration_ms: 0 }, { method: 'GET', path: '/v2.0/networks?name=x', status: 200, duration_ms: 0 });
      assert.match(String(line['msg']), /^GET \/v2\.0\/networks\?name=x status: 200 time: \d+\.\d{4}$/);
      const notFound = records.filter((r) => r['request_id'] === missing.headers.get('x-openstack-request-id'));
      assert.equal(notFound.length, 1);
      assert.equal((notFound[0]!['http'] as { status: number }).status, 404);
    } finally {
      await server.close();
    }
  });
});

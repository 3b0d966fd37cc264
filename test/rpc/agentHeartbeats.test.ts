/**
 * Agents over real RabbitMQ: a separate process that only sends heartbeats
 * appears alive in `openstack network agent list`, shows XXX once it stops
 * for agent_down_time, and keeps reporting through a broker outage.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { createTestVhost, rabbitmqctl, sleep, type TestVhost, waitFor } from './helpers.js';

const run = promisify(execFile);
const DOWN_TIME = 3;

describe('agent heartbeats over RabbitMQ', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  const agents: ChildProcess[] = [];

  before(async () => {
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, { DEFAULT: { transport_url: vhost.url, agent_down_time: DOWN_TIME } });
  });
  after(async () => {
    for (const agent of agents) agent.kill('SIGKILL');
    await api?.close();
    await database?.drop();
    await vhost?.drop();
  });

  function startAgent(host: string): { process: ChildProcess; lines: string[] } {
    const script = fileURLToPath(new URL('../helpers/fakeAgent.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, vhost.url, host, 'Linux bridge agent', 'neutron-linuxbridge-agent', '500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    agents.push(child);
    const lines: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    return { process: child, lines };
  }

  /** `openstack network agent list` as an operator sees it: the table, with :-) / XXX (noauth). */
  async function agentList(): Promise<Record<string, string>[]> {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp', OS_AUTH_TYPE: 'none', OS_ENDPOINT: api.url };
    const { stdout } = await run('openstack', ['network', 'agent', 'list'], { env, timeout: 60_000 });
    const rows = stdout
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    const [header, ...body] = rows;
    return body.map((row) => Object.fromEntries((header ?? []).map((name, i) => [name, row[i] ?? ''])));
  }


  test('a heartbeat-only agent is listed alive, then XXX after agent_down_time when it stops', async () => {
    const agent = startAgent('hb-host-1');
    await waitFor('the first report', () => agent.lines.includes('report new'), 20_000);
    const listed = (await agentList()).find((a) => a['Host'] === 'hb-host-1');
    assert.ok(listed, 'the agent is listed');
    const [viaApi] = (await api.request('GET', '/v2.0/agents?host=hb-host-1')).body.agents;
    assert.equal(viaApi.agent_type, 'Linux bridge agent');
    assert.equal(viaApi.configurations.tunnel_types[0], 'vxlan');
    assert.equal(listed['Alive'], ':-)');
    assert.equal(listed['State'], 'UP');
    assert.equal(listed['Binary'], 'neutron-linuxbridge-agent');
    agent.process.kill('SIGKILL');
    await sleep(DOWN_TIME * 1000 + 1500);
    const dead = (await agentList()).find((a) => a['Host'] === 'hb-host-1');
    assert.equal(dead?.['Alive'], 'XXX');
  });

  test('heartbeats resume after the broker drops every connection', async () => {
    const agent = startAgent('hb-host-2');
    await waitFor('the first report', () => agent.lines.includes('report new'), 20_000);
    await rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'test: broker outage');
    const before = agent.lines.length;
    await waitFor('reports after the outage', () => agent.lines.slice(before).filter((l) => l.startsWith('report')).length >= 3, 20_000);
    const listed = (await agentList()).find((a) => a['Host'] === 'hb-host-2');
    assert.equal(listed?.['Alive'], ':-)');
  });
});

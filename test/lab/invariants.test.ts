/**
 * The fault lab's checks can fail: the ledger's reading of answers (pure),
 * then a short load on a real server (MariaDB) that passes every check,
 * and the same database broken behind the server's back, row by row, each
 * break reported by the check that covers it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import mysql from 'mysql2/promise';

import { checkInvariants, type InvariantCheck } from '../../lab/invariants.js';
import { Ledger } from '../../lab/ledger.js';
import { type LoadReport, startLoad } from '../../lab/load.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { startTestApi, type TestApi } from '../helpers/testApi.js';
import { sleep } from '../rpc/helpers.js';

describe('Ledger', () => {
  const cases: { what: string; steps: (l: Ledger) => void; expect: Record<string, 'live' | 'deleted' | 'uncertain'> }[] = [
    { what: 'an acknowledged create is live', steps: (l) => l.created('networks', 'n', 'a'), expect: { n: 'live' } },
    { what: 'an acknowledged delete is gone', steps: (l) => (l.created('networks', 'n', 'a'), l.deleteAnswered('n', 'deleted')), expect: { n: 'deleted' } },
    { what: 'an unanswered delete is uncertain', steps: (l) => (l.created('ports', 'p', 'a'), l.deleteAnswered('p', 'unknown')), expect: { p: 'uncertain' } },
    {
      what: 'a 404 after an unanswered delete confirms it',
      steps: (l) => (l.created('ports', 'p', 'a'), l.deleteAnswered('p', 'unknown'), l.deleteAnswered('p', 'not-found')),
      expect: { p: 'deleted' },
    },
    { what: 'a 404 with no delete before stays live (a lost write to report)', steps: (l) => (l.created('ports', 'p', 'a'), l.deleteAnswered('p', 'not-found')), expect: { p: 'live' } },
    {
      what: "a network's acknowledged delete takes its subnets and ports, a group's its rules",
      steps: (l) => {
        l.created('networks', 'n', 'a');
        l.created('subnets', 's', 'a', 'n');
        l.created('ports', 'p', 'a', 'n');
        l.deleteAnswered('p', 'unknown');
        l.deleteAnswered('n', 'deleted');
        l.created('security-groups', 'g', 'a');
        l.created('security-group-rules', 'r', '', 'g');
        l.deleteAnswered('g', 'deleted');
      },
      expect: { n: 'deleted', s: 'deleted', p: 'deleted', g: 'deleted', r: 'deleted' },
    },
  ];
  for (const { what, steps, expect } of cases) {
    test(what, () => {
      const ledger = new Ledger();
      steps(ledger);
      assert.deepEqual(Object.fromEntries(ledger.all().map((e) => [e.id, e.state])), expect);
    });
  }

  test('a name is expected only after an acknowledged rename', () => {
    const ledger = new Ledger();
    ledger.created('networks', 'n', 'first');
    ledger.renamed('n', 'second', true);
    assert.equal(ledger.all()[0]?.name, 'second');
    ledger.renamed('n', 'third', false);
    assert.equal(ledger.all()[0]?.name, undefined);
  });
});

describe('checkInvariants on MariaDB', () => {
  let database: TestDatabase;
  let api: TestApi;
  let report: LoadReport;
  const ADMIN = { 'x-project-id': 'checker', 'x-roles': 'admin' };

  before(async () => {
    database = await createTestDatabase('mysql');
    api = await startTestApi(database.url, {
      DEFAULT: { service_plugins: ['router'] },
      ml2: { tenant_network_types: ['vxlan'] },
      ml2_type_vxlan: { vni_ranges: ['1000:2000'] },
    });
    const load = await startLoad({ baseUrl: api.url, clients: 4, seed: 14 });
    await sleep(2500);
    report = await load.stop();
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });

  const check = () => checkInvariants({ baseUrl: api.url, databaseUrl: database.url, projects: [report.setup.projectId], acknowledged: report.acknowledged });

  test('a load on a healthy server passes every check', async () => {
    assert.deepEqual(report.failures, []);
    const checked = await check();
    assert.deepEqual(checked.violations, []);
    assert.ok(checked.counts.acknowledgedLive > 10 && checked.counts.acknowledgedDeleted > 0, JSON.stringify(checked.counts));
    assert.ok(checked.counts.segments > 0 && checked.counts.floatingIps > 0, JSON.stringify(checked.counts));
  });

  test('every break of the database is reported by its check', async () => {
    const post = async (path: string, body: Record<string, unknown>) => {
      const answer = await api.request('POST', path, body, ADMIN);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body[Object.keys(body)[0] ?? ''] as { id: string; fixed_ips: { ip_address: string }[] };
    };
    const network = await post('/v2.0/networks', { network: { name: 'broken' } });
    const a = await post('/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.99.0.0/24' } });
    const b = await post('/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.99.1.0/24' } });
    const onA = await post('/v2.0/ports', { port: { network_id: network.id, fixed_ips: [{ subnet_id: a.id }] } });
    const onB = await post('/v2.0/ports', { port: { network_id: network.id, fixed_ips: [{ subnet_id: b.id }] } });

    const live = report.acknowledged.filter((e) => e.state === 'live');
    const livePort = live.find((e) => e.collection === 'ports' && e.parentId !== report.setup.sharedNetworkId);
    const liveNetwork = live.find((e) => e.collection === 'networks' && e.name !== undefined);
    assert.ok(livePort && liveNetwork);
    const url = new URL(database.url.replace(/^[a-z+]+:/, 'http:'));
    const sql = await mysql.createConnection({ host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), database: url.pathname.slice(1) });
    try {
      await sql.query('SET FOREIGN_KEY_CHECKS = 0');
      await sql.query('DELETE FROM ports WHERE id = ?', [livePort.id]);
      await sql.query('UPDATE networks SET name = ? WHERE id = ?', ['renamed behind its back', liveNetwork.id]);
      await sql.query('UPDATE ipallocations SET ip_address = ? WHERE port_id = ?', [onA.fixed_ips[0]?.ip_address, onB.id]);
      await sql.query('UPDATE subnets SET cidr = ? WHERE id = ?', ['10.99.0.0/23', b.id]);
      await sql.query('UPDATE networksegments SET segmentation_id = 4242');
      await sql.query('DELETE FROM ports WHERE id = (SELECT floating_port_id FROM floatingips LIMIT 1)');
    } finally {
      await sql.end();
    }
    // A delete the API acknowledged, of an object that exists (as if undone).
    const undone = { id: report.setup.sharedNetworkId, collection: 'networks' as const, state: 'deleted' as const, name: undefined };

    const checked = await checkInvariants({
      baseUrl: api.url,
      databaseUrl: database.url,
      projects: [report.setup.projectId],
      acknowledged: [...report.acknowledged, undone],
    });
    const found = new Set(checked.violations.map((v) => v.check));
    const expected: InvariantCheck[] = [
      'acknowledged-create-lost',
      'acknowledged-update-lost',
      'acknowledged-delete-undone',
      'duplicate-ip',
      'overlapping-subnets',
      'duplicate-segmentation-id',
      'ip-allocation-without-port',
      'floating-ip-without-port',
    ];
    assert.deepEqual(expected.filter((c) => !found.has(c)), [], checked.violations.map((v) => `${v.check}: ${v.detail}`).join('\n'));
  });
});

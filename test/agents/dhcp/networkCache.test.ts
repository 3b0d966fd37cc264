/** The agent's network cache: port notifications applied, stale ones ignored, replayed over a fetch under way, full fetches when due. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseNetwork, parsePort } from '../../../src/agents/dhcp/model.js';
import { NetworkCache } from '../../../src/agents/dhcp/networkCache.js';

const NET = 'n1';
const port = (id: string, revision: number, ip = '10.0.0.5') =>
  parsePort({ id, network_id: NET, mac_address: 'fa:16:3e:00:00:05', fixed_ips: [{ subnet_id: 's', ip_address: ip }], revision_number: revision });
const network = (...ports: ReturnType<typeof port>[]) => parseNetwork({ id: NET, project_id: 'p', subnets: [], ports });

test('a full fetch first; then notifications update the cache without one, until the interval is up', () => {
  let now = 0;
  const cache = new NetworkCache(60_000, () => now);
  assert.equal(cache.needsFull, true);
  cache.beginFull();
  cache.endFull([network(port('a', 1))]);
  assert.equal(cache.needsFull, false);
  cache.apply({ kind: 'port-upsert', port: port('b', 1) });
  cache.apply({ kind: 'port-upsert', port: port('a', 2, '10.0.0.9') });
  cache.apply({ kind: 'port-upsert', port: port('a', 1, '10.0.0.7') }); // older than what is cached
  assert.deepEqual(
    cache.list()[0]!.ports.map((p) => `${p.id} ${p.fixed_ips[0]!.ip_address}`).sort(),
    ['a 10.0.0.9', 'b 10.0.0.5'],
  );
  cache.apply({ kind: 'port-delete', networkId: NET, portId: 'b' });
  assert.deepEqual(cache.list()[0]!.ports.map((p) => p.id), ['a']);
  assert.equal(cache.needsFull, false);
  now = 60_000;
  assert.equal(cache.needsFull, true);
});

test('a port of an unknown network asks for a full fetch', () => {
  const cache = new NetworkCache(60_000);
  cache.beginFull();
  cache.endFull([]);
  cache.apply({ kind: 'port-upsert', port: port('a', 1) });
  assert.equal(cache.needsFull, true);
});

test('notifications during a fetch are replayed on its answer; a failed fetch is retried', () => {
  const cache = new NetworkCache(60_000);
  cache.beginFull();
  cache.apply({ kind: 'port-upsert', port: port('late', 3) });
  cache.endFull([network(port('a', 1))]); // listed before `late` existed
  assert.deepEqual(cache.list()[0]!.ports.map((p) => p.id).sort(), ['a', 'late']);
  cache.beginFull();
  cache.failFull();
  assert.equal(cache.needsFull, true);
});

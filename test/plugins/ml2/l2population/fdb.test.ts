import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  carriesSegment,
  changedIps,
  FLOODING_ENTRY,
  l2popAgentIp,
  portFdbEntries,
  remoteEntries,
} from '../../../../src/plugins/ml2/l2population/fdb.js';
import { parseDevice } from '../../../../src/plugins/ml2/rpc/devices.js';

const vxlan = { networkType: 'vxlan', physicalNetwork: null, segmentationId: 1001 };

test('an agent takes part with l2_population true and a tunneling_ip', () => {
  const cases: [Record<string, unknown>, string | undefined][] = [
    [{ l2_population: true, tunneling_ip: '192.0.2.1' }, '192.0.2.1'],
    [{ l2_population: false, tunneling_ip: '192.0.2.1' }, undefined],
    [{ tunneling_ip: '192.0.2.1' }, undefined],
    [{ l2_population: true, tunneling_ip: '' }, undefined],
    [{ l2_population: true }, undefined],
  ];
  for (const [configurations, ip] of cases) assert.equal(l2popAgentIp(configurations), ip, JSON.stringify(configurations));
});

test('only overlay segments of a type the agent carries', () => {
  assert.equal(carriesSegment({ tunnel_types: ['vxlan'] }, vxlan), true);
  assert.equal(carriesSegment({ tunnel_types: ['gre'] }, vxlan), false);
  assert.equal(carriesSegment({ tunnel_types: ['vxlan'], l2pop_network_types: ['gre'] }, vxlan), false, 'l2pop_network_types wins');
  assert.equal(carriesSegment({ tunnel_types: ['vlan'] }, { networkType: 'vlan', physicalNetwork: 'p', segmentationId: 5 }), false);
});

test('entries: one per fixed IP; remote VTEPs flood first; changed addresses', () => {
  const port = { mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ ip_address: '10.0.0.3' }, { ip_address: 'fd00::3' }] };
  assert.deepEqual(portFdbEntries(port), [
    ['fa:16:3e:00:00:01', '10.0.0.3'],
    ['fa:16:3e:00:00:01', 'fd00::3'],
  ]);
  assert.deepEqual(portFdbEntries({ mac_address: 'x' }), []);
  const remote = remoteEntries('a', [
    { host: 'a', agentIp: '1.1.1.1', entries: [['m1', 'i1']] },
    { host: 'b', agentIp: '2.2.2.2', entries: [['m2', 'i2']] },
    { host: 'b', agentIp: '2.2.2.2', entries: [['m3', 'i3']] },
  ]);
  assert.deepEqual(remote, { '2.2.2.2': [FLOODING_ENTRY, ['m2', 'i2'], ['m3', 'i3']] });
  assert.deepEqual(changedIps('n', '2.2.2.2', 'm', ['10.0.0.3'], ['10.0.0.3']), undefined);
  assert.deepEqual(changedIps('n', '2.2.2.2', 'm', ['10.0.0.3'], ['10.0.0.4']), {
    chg_ip: { n: { '2.2.2.2': { before: [['m', '10.0.0.3']], after: [['m', '10.0.0.4']] } } },
  });
});

test('device names: tap/qvo/sg- prefixes, full ids, MAC addresses', () => {
  assert.deepEqual(parseDevice('tap3f2a1b4c-5d'), { kind: 'id-prefix', prefix: '3f2a1b4c-5d' });
  assert.deepEqual(parseDevice('qvo3f2a1b4c-5d'), { kind: 'id-prefix', prefix: '3f2a1b4c-5d' });
  assert.deepEqual(parseDevice('sg-3f2a1b4c-5d'), { kind: 'id-prefix', prefix: '3f2a1b4c-5d' });
  const id = '3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8';
  assert.deepEqual(parseDevice(id), { kind: 'id-prefix', prefix: id });
  assert.deepEqual(parseDevice('FA:16:3E:00:00:01'), { kind: 'mac', mac: 'fa:16:3e:00:00:01' });
});

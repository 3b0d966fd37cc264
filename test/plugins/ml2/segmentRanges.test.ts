import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_VXLAN_VNI, parseIdRanges, parsePhysnetMtus, parseVlanRanges } from '../../../src/plugins/ml2/segmentRanges.js';

const vni = { min: 1, max: MAX_VXLAN_VNI };

describe('ml2_conf.ini ranges', () => {
  it('parses id ranges', () => {
    assert.deepEqual(parseIdRanges(['1:1000', ' 2000:2001 '], vni, 'VNI'), [
      { min: 1, max: 1000 },
      { min: 2000, max: 2001 },
    ]);
    assert.deepEqual(parseIdRanges([], vni, 'VNI'), []);
  });

  const bad: [string[], RegExp][] = [
    [['10:1'], /wrong way round/],
    [['1:16777216'], /outside 1\.\.16777215/],
    [['0:5'], /outside/],
    [['5'], /min:max/],
    [['a:b'], /not a valid VNI/],
    [['1:2:3'], /min:max/],
  ];
  for (const [entries, reason] of bad) {
    it(`refuses ${JSON.stringify(entries)}`, () => assert.throws(() => parseIdRanges(entries, vni, 'VNI'), reason));
  }

  it('parses VLAN ranges per physical network, bare names for provider-only networks', () => {
    const ranges = parseVlanRanges(['physnet1:100:200', 'physnet1:300:301', 'physnet2']);
    assert.deepEqual([...ranges], [
      ['physnet1', [{ min: 100, max: 200 }, { min: 300, max: 301 }]],
      ['physnet2', []],
    ]);
    assert.throws(() => parseVlanRanges(['physnet1:0:10']), /outside 1\.\.4094/);
    assert.throws(() => parseVlanRanges(['physnet1:5000:5001']), /outside/);
    assert.throws(() => parseVlanRanges(['physnet1:200:100']), /wrong way round/);
    assert.throws(() => parseVlanRanges([':1:2']), /no physical network/);
    assert.throws(() => parseVlanRanges(['p:1']), /physnet:min:max/);
  });

  it('parses physical network MTUs', () => {
    assert.deepEqual([...parsePhysnetMtus(['physnet1:9000', 'physnet2:1400'])], [
      ['physnet1', 9000],
      ['physnet2', 1400],
    ]);
    assert.throws(() => parsePhysnetMtus(['physnet1']), /physnet:mtu/);
    assert.throws(() => parsePhysnetMtus(['physnet1:big']), /not a valid MTU/);
  });
});

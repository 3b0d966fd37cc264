import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type Cidr, formatCidr, parseCidr } from '../../../src/plugins/ipam/cidr.js';
import { availableBlocks, compactCidrs, firstFreeBlock, isFree, isSubset, rangeSetOf } from '../../../src/plugins/ipam/cidrSet.js';

const cidrs = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t)!);
const texts = (list: readonly Cidr[]): string[] => list.map(formatCidr);

describe('cidrSet', () => {
  it('merges CIDRs into the fewest, in address order (netaddr IPSet.compact)', () => {
    const cases: [string[], string[]][] = [
      [['10.0.1.0/24', '10.0.0.0/24'], ['10.0.0.0/23']],
      [['10.0.0.0/24', '10.0.0.128/25'], ['10.0.0.0/24']],
      [['10.0.1.0/24', '10.0.2.0/24'], ['10.0.1.0/24', '10.0.2.0/24']],
      [['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/23'], ['10.0.0.0/22']],
      [['0.0.0.0/1', '128.0.0.0/1'], ['0.0.0.0/0']],
      [['2001:db8::/49', '2001:db8:0:8000::/49'], ['2001:db8::/48']],
    ];
    for (const [input, expected] of cases) assert.deepEqual(texts(compactCidrs(cidrs(...input), input[0]!.includes(':') ? 6 : 4)), expected, input.join());
  });

  it('free blocks: smallest first, then by address; the first that holds the size is taken', () => {
    const available = availableBlocks(cidrs('10.0.0.0/24'), cidrs('10.0.0.0/26'), 4);
    assert.deepEqual(texts(available), ['10.0.0.64/26', '10.0.0.128/25']);
    assert.equal(formatCidr(firstFreeBlock(available, 28)!), '10.0.0.64/28');
    assert.equal(formatCidr(firstFreeBlock(available, 25)!), '10.0.0.128/25');
    assert.equal(firstFreeBlock(available, 24), null);
    assert.equal(isFree(available, parseCidr('10.0.0.192/26')!), true);
    assert.equal(isFree(available, parseCidr('10.0.0.32/27')!), false);
    assert.equal(isFree(available, parseCidr('10.0.0.0/24')!), false);
  });

  it('subsets', () => {
    assert.equal(isSubset(rangeSetOf(cidrs('10.0.0.0/24')), rangeSetOf(cidrs('10.0.0.0/16'))), true);
    assert.equal(isSubset(rangeSetOf(cidrs('10.0.0.0/16')), rangeSetOf(cidrs('10.0.0.0/24', '10.0.1.0/24'))), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ipToBigint } from '../../../src/plugins/ipam/address.js';
import {
  PICK_WINDOW,
  countAddresses,
  firstFreeAddress,
  freeAddresses,
  pickAddress,
  randomPoolAddresses,
} from '../../../src/plugins/ipam/freeAddresses.js';
import type { AllocationPool, Random } from '../../../src/plugins/ipam/types.js';

function take(iterable: Iterable<string>, n: number): string[] {
  const out: string[] = [];
  for (const value of iterable) {
    if (out.length === n) break;
    out.push(value);
  }
  return out;
}

/** A seeded linear congruential generator: deterministic randomness for tests. */
function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const v4Pools: AllocationPool[] = [
  { start: '10.0.0.20', end: '10.0.0.22' },
  { start: '10.0.0.2', end: '10.0.0.5' },
];

describe('freeAddresses', () => {
  it('walks the pools in address order, skipping allocated addresses', () => {
    assert.deepEqual([...freeAddresses(v4Pools, ['10.0.0.3', '10.0.0.20', '10.0.0.22'])], ['10.0.0.2', '10.0.0.4', '10.0.0.5', '10.0.0.21']);
  });

  it('ignores allocations outside the pools and of the other version', () => {
    assert.deepEqual([...freeAddresses([{ start: '10.0.0.2', end: '10.0.0.4' }], ['10.0.0.1', '10.0.0.99', '::a00:3', '10.0.0.4'])], ['10.0.0.2', '10.0.0.3']);
  });

  it('yields nothing for no pools or full pools', () => {
    assert.deepEqual([...freeAddresses([], [])], []);
    assert.deepEqual([...freeAddresses([{ start: '10.0.0.2', end: '10.0.0.3' }], ['10.0.0.3', '10.0.0.2'])], []);
  });

  it('walks an IPv6 /64 lazily and fast', () => {
    const pools = [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }];
    const allocated = ['2001:db8::1', '2001:db8::3', '2001:db8::ffff:ffff:ffff:fffe'];
    const started = performance.now();
    const first = take(freeAddresses(pools, allocated), 20_000);
    const elapsed = performance.now() - started;
    assert.deepEqual(first.slice(0, 3), ['2001:db8::2', '2001:db8::4', '2001:db8::5']);
    assert.equal(first.length, 20_000);
    assert.equal(first.at(-1), '2001:db8::4e22');
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });

  it('reaches the end of a huge pool when only its tail is free', () => {
    const pools = [{ start: '2001:db8::ffff:ffff:ffff:fff0', end: '2001:db8::ffff:ffff:ffff:ffff' }];
    const allocated = Array.from({ length: 15 }, (_, i) => `2001:db8::ffff:ffff:ffff:fff${i.toString(16)}`);
    assert.deepEqual([...freeAddresses(pools, allocated)], ['2001:db8::ffff:ffff:ffff:ffff']);
  });
});

describe('firstFreeAddress', () => {
  it('returns the lowest free address or null', () => {
    assert.equal(firstFreeAddress(v4Pools, ['10.0.0.2']), '10.0.0.3');
    assert.equal(firstFreeAddress([{ start: '10.0.0.2', end: '10.0.0.2' }], ['10.0.0.2']), null);
  });
});

describe('pickAddress', () => {
  const big: AllocationPool[] = [{ start: '10.0.0.2', end: '10.0.255.254' }];

  const window: [string, number, string][] = [
    ['random 0 picks the first free address', 0, '10.0.0.2'],
    ['random just below 1 picks the 1000th free address', 0.999999, '10.0.3.233'],
    ['random 0.5 picks the 501st', 0.5, '10.0.1.246'],
  ];
  for (const [name, r, expected] of window) {
    it(name, () => assert.equal(pickAddress(big, [], () => r), expected));
  }

  it('never looks beyond the first PICK_WINDOW free addresses', () => {
    const random = seeded(7);
    const limit = ipToBigint('10.0.0.2') + BigInt(PICK_WINDOW) + 10n; // 10 allocated below
    const allocated = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 2}`);
    for (let i = 0; i < 200; i++) {
      const picked = pickAddress(big, allocated, random);
      assert.ok(picked !== null && ipToBigint(picked) < limit, `${picked} beyond the window`);
    }
  });

  it('stays in the pools and never returns an allocated address', () => {
    const pools: AllocationPool[] = [
      { start: '10.0.0.10', end: '10.0.0.20' },
      { start: '10.0.0.100', end: '10.0.0.105' },
    ];
    const inPools = (ip: string): boolean => pools.some((p) => ipToBigint(ip) >= ipToBigint(p.start) && ipToBigint(ip) <= ipToBigint(p.end));
    const random = seeded(42);
    const allocated: string[] = ['10.0.0.12', '10.0.0.1', '10.0.0.101'];
    for (;;) {
      const picked = pickAddress(pools, allocated, random);
      if (picked === null) break;
      assert.ok(inPools(picked), `${picked} outside the pools`);
      assert.ok(!allocated.includes(picked), `${picked} already allocated`);
      allocated.push(picked);
    }
    // 11 + 6 pool addresses, 2 of them allocated at the start (10.0.0.1 lies outside)
    assert.equal(allocated.length, 3 + 15);
  });

  it('moves to the next pool when the first is full', () => {
    const pools: AllocationPool[] = [
      { start: '10.0.0.2', end: '10.0.0.3' },
      { start: '10.0.0.50', end: '10.0.0.60' },
    ];
    assert.equal(pickAddress(pools, ['10.0.0.2', '10.0.0.3'], () => 0), '10.0.0.50');
  });

  it('picks IPv6 addresses in a /64', () => {
    const pools = [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }];
    assert.equal(pickAddress(pools, ['2001:db8::1'], () => 0), '2001:db8::2');
    assert.equal(pickAddress(pools, [], () => 0.999999), '2001:db8::3e8');
  });

  it('returns null when the pools are exhausted or absent', () => {
    assert.equal(pickAddress([{ start: '10.0.0.2', end: '10.0.0.2' }], ['10.0.0.2'], () => 0), null);
    assert.equal(pickAddress([], [], () => 0), null);
  });
});

describe('countAddresses', () => {
  const cases: [string, AllocationPool[], bigint][] = [
    ['no pools', [], 0n],
    ['a /24 default pool', [{ start: '10.0.0.2', end: '10.0.0.254' }], 253n],
    ['two pools', v4Pools, 7n],
    ['a single address', [{ start: '10.0.0.5', end: '10.0.0.5' }], 1n],
    ['an IPv6 /64 default pool', [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }], (1n << 64n) - 1n],
    ['a pool larger than 2^64', [{ start: '2001:db8::1', end: '2001:db8:0:1:ffff:ffff:ffff:ffff' }], (1n << 65n) - 1n],
  ];
  for (const [name, pools, expected] of cases) {
    it(name, () => assert.equal(countAddresses(pools), expected));
  }
});

describe('randomPoolAddresses', () => {
  it('draws only pool addresses, across several pools and from IPv6 /64s', () => {
    const pools = [
      { start: '10.0.0.10', end: '10.0.0.12' },
      { start: '10.0.0.200', end: '10.0.0.201' },
    ];
    const allowed = new Set(['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.200', '10.0.0.201']);
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const drawn = randomPoolAddresses(pools, 200, random);
    assert.ok(drawn.length > 1 && drawn.length <= 5);
    for (const ip of drawn) assert.ok(allowed.has(ip), ip);
    assert.ok(drawn.some((ip) => ip.startsWith('10.0.0.20')), 'the second pool is reachable');
    const v6 = randomPoolAddresses([{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }], 16, random);
    assert.equal(v6.length, 16);
    for (const ip of v6) assert.match(ip, /^2001:db8:/);
    assert.deepEqual(randomPoolAddresses([], 4, random), []);
    const windowed = randomPoolAddresses(pools, 100, random, 3n);
    assert.deepEqual([...windowed].sort(), ['10.0.0.10', '10.0.0.11', '10.0.0.12'], 'a window keeps draws at the start');
  });
});

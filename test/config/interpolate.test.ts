import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolate } from '../../src/config/interpolate.js';

const known: Record<string, string> = { state_path: '/var/lib/neutron', 'nova.region_name': 'RegionOne', host: 'ctl1' };
const resolve = (name: string) => known[name];

describe('interpolate', () => {
  const cases: [string, string][] = [
    ['$state_path/lock', '/var/lib/neutron/lock'],
    ['${state_path}lock', '/var/lib/neutron' + 'lock'],
    ['${nova.region_name}', 'RegionOne'],
    ['$state_path.bak', '/var/lib/neutron.bak'],
    ['$host-$host', 'ctl1-ctl1'],
    ['pa$$word', 'pa$word'],
    ['pa\\$word', 'pa$word'],
    ['costs 5$', 'costs 5$'],
    ['$1 and ${', '$1 and ${'],
    ['no dollars', 'no dollars'],
  ];
  for (const [raw, want] of cases) {
    it(`${raw} -> ${want}`, () => assert.deepEqual(interpolate(raw, resolve), { ok: true, value: want }));
  }

  it('an unknown name is an error that names the placeholder', () => {
    const result = interpolate('pa$word', resolve);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /'pa\$word' refers to \$word, which is not a known option/);
  });
});

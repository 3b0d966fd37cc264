import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertValue, isUnsetValue, renderValue } from '../../src/config/convert.js';
import type { OptType } from '../../src/config/types.js';

const dbUrl: OptType = { kind: 'url', schemes: ['sqlite', 'mysql+pymysql', 'postgresql'] };

describe('convertValue accepts', () => {
  const cases: { type: OptType; raw: string; want: unknown }[] = [
    { type: { kind: 'string' }, raw: 'openstacklocal', want: 'openstacklocal' },
    { type: { kind: 'string' }, raw: 'two\nlines', want: 'two\nlines' },
    { type: { kind: 'path' }, raw: '/var/lib/neutron', want: '/var/lib/neutron' },
    { type: { kind: 'integer' }, raw: '42', want: 42 },
    { type: { kind: 'integer' }, raw: '-1', want: -1 },
    { type: { kind: 'integer' }, raw: '+7', want: 7 },
    { type: { kind: 'integer', min: 0, max: 10 }, raw: '10', want: 10 },
    { type: { kind: 'port' }, raw: '9696', want: 9696 },
    { type: { kind: 'port' }, raw: '65535', want: 65535 },
    { type: { kind: 'float' }, raw: '0.5', want: 0.5 },
    { type: { kind: 'float' }, raw: '30', want: 30 },
    { type: { kind: 'float' }, raw: '1e3', want: 1000 },
    ...['true', 'True', 'YES', 'on', '1'].map((raw) => ({ type: { kind: 'boolean' } as const, raw, want: true })),
    ...['false', 'FALSE', 'No', 'off', '0'].map((raw) => ({ type: { kind: 'boolean' } as const, raw, want: false })),
    { type: { kind: 'list' }, raw: 'router, segments ,,trunk,', want: ['router', 'segments', 'trunk'] },
    { type: { kind: 'list' }, raw: 'router,\nsegments', want: ['router', 'segments'] },
    { type: { kind: 'list' }, raw: '', want: [] },
    { type: { kind: 'dict' }, raw: 'physnet1:br-eth1, physnet2 : br-eth2', want: { physnet1: 'br-eth1', physnet2: 'br-eth2' } },
    { type: { kind: 'dict' }, raw: 'a:b:c', want: { a: 'b:c' } },
    { type: { kind: 'dict' }, raw: '', want: {} },
    { type: { kind: 'enum', choices: ['keystone', 'noauth'] }, raw: 'noauth', want: 'noauth' },
    { type: { kind: 'mac' }, raw: 'FA:16:3E:00:00:00', want: 'fa:16:3e:00:00:00' },
    { type: { kind: 'url', schemes: ['rabbit', 'memory'] }, raw: 'rabbit://openstack:RABBIT_PASS@controller', want: 'rabbit://openstack:RABBIT_PASS@controller' },
    { type: { kind: 'url', schemes: ['rabbit', 'memory'] }, raw: 'memory://', want: 'memory://' },
    { type: { kind: 'url', schemes: ['rabbit'] }, raw: 'RABBIT://h1:5672,h2:5672/', want: 'RABBIT://h1:5672,h2:5672/' },
    { type: dbUrl, raw: 'sqlite:////var/lib/neutron/neutron.sqlite', want: 'sqlite:////var/lib/neutron/neutron.sqlite' },
    { type: dbUrl, raw: 'mysql+pymysql://neutron:NEUTRON_DBPASS@controller/neutron', want: 'mysql+pymysql://neutron:NEUTRON_DBPASS@controller/neutron' },
  ];
  for (const c of cases) {
    it(`${c.type.kind} ${JSON.stringify(c.raw)}`, () => {
      assert.deepEqual(convertValue(c.type, c.raw), { ok: true, value: c.want });
    });
  }
});

describe('convertValue rejects', () => {
  const cases: { type: OptType; raw: string; reason: string }[] = [
    { type: { kind: 'integer' }, raw: 'abc', reason: "'abc' is not an integer" },
    { type: { kind: 'integer' }, raw: '1.5', reason: "'1.5' is not an integer" },
    { type: { kind: 'integer' }, raw: '12abc', reason: "'12abc' is not an integer" },
    { type: { kind: 'integer' }, raw: '99999999999999999999', reason: "'99999999999999999999' is too large" },
    { type: { kind: 'integer', min: 0 }, raw: '-2', reason: "'-2' is less than the minimum 0" },
    { type: { kind: 'integer', max: 10 }, raw: '11', reason: "'11' is greater than the maximum 10" },
    { type: { kind: 'port' }, raw: '0', reason: "'0' is less than the minimum 1" },
    { type: { kind: 'port' }, raw: '65536', reason: "'65536' is greater than the maximum 65535" },
    { type: { kind: 'port' }, raw: 'http', reason: "'http' is not an integer" },
    { type: { kind: 'float' }, raw: 'fast', reason: "'fast' is not a number" },
    { type: { kind: 'float', min: 0 }, raw: '-0.5', reason: "'-0.5' is less than the minimum 0" },
    { type: { kind: 'boolean' }, raw: 'maybe', reason: "'maybe' is not a boolean (use true/false, yes/no, on/off or 1/0)" },
    { type: { kind: 'boolean' }, raw: 'y', reason: "'y' is not a boolean (use true/false, yes/no, on/off or 1/0)" },
    { type: { kind: 'dict' }, raw: 'a:b,c', reason: "'a:b,c' is not a dict: item 'c' is not 'key:value'" },
    { type: { kind: 'enum', choices: ['keystone', 'noauth'] }, raw: 'Keystone', reason: "'Keystone' is not one of keystone, noauth" },
    { type: { kind: 'mac' }, raw: 'fa:16:3e:00:00', reason: "'fa:16:3e:00:00' is not a MAC address like fa:16:3e:00:00:00" },
    { type: { kind: 'mac' }, raw: 'fa:16:3e:00:00:zz', reason: "'fa:16:3e:00:00:zz' is not a MAC address like fa:16:3e:00:00:00" },
    { type: { kind: 'mac' }, raw: 'fa-16-3e-00-00-00', reason: "'fa-16-3e-00-00-00' is not a MAC address like fa:16:3e:00:00:00" },
    { type: dbUrl, raw: 'controller/neutron', reason: "'controller/neutron' is not a URL (expected scheme://...)" },
    {
      type: dbUrl,
      raw: 'oracle://u:p@h/db',
      reason: "'oracle://u:p@h/db' has unsupported scheme 'oracle' (supported: sqlite, mysql+pymysql, postgresql)",
    },
  ];
  for (const c of cases) {
    it(`${c.type.kind} ${JSON.stringify(c.raw)}`, () => {
      assert.deepEqual(convertValue(c.type, c.raw), { ok: false, reason: c.reason });
    });
  }
});

describe('isUnsetValue and renderValue', () => {
  it('an empty value is unset for scalar types, kept for text, lists and dicts', () => {
    assert.equal(isUnsetValue({ kind: 'integer' }, ''), true);
    assert.equal(isUnsetValue({ kind: 'boolean' }, '  '), true);
    assert.equal(isUnsetValue({ kind: 'url', schemes: ['rabbit'] }, ''), true);
    assert.equal(isUnsetValue({ kind: 'string' }, ''), false);
    assert.equal(isUnsetValue({ kind: 'list' }, ''), false);
    assert.equal(isUnsetValue({ kind: 'integer' }, '0'), false);
  });
  it('renders typed values the way a file writes them, so they convert back', () => {
    assert.equal(renderValue(['router', 'trunk']), 'router,trunk');
    assert.equal(renderValue({ physnet1: 'br-eth1', p2: 'br2' }), 'physnet1:br-eth1,p2:br2');
    assert.equal(renderValue(false), 'false');
    assert.equal(renderValue(9696), '9696');
    assert.deepEqual(convertValue({ kind: 'dict' }, renderValue({ a: 'b' })), { ok: true, value: { a: 'b' } });
  });
});

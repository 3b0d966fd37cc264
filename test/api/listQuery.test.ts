import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type ListQueryOptions, parseChangedSince, parseListQuery } from '../../src/api/listQuery.js';
import { composeApi } from '../../src/resources/compose.js';
import { coreExtensions, coreResources } from '../../src/resources/index.js';
import { assertNeutronError, badRequest, type Expected, gadgets, invalidInput, NET_ID, widgets } from './fixtures.js';

const defaults: ListQueryOptions = { paginationMaxLimit: -1, filterValidation: true };

/** Parses `a=1&b=2` the way the HTTP layer hands it over (raw pairs, repeats kept). */
const parse = (qs: string, options: Partial<ListQueryOptions> = {}, resource = widgets) =>
  parseListQuery(resource, [...new URLSearchParams(qs)], { ...defaults, ...options });

const badLimit = (shown: string): Expected => ({
  status: 400,
  type: 'BadRequest',
  message: `Bad limit request: Limit must be an integer 0 or greater and not '${shown}'.`,
});

describe('parseListQuery: nothing asked', () => {
  it('is empty', () => {
    assert.deepEqual(parse(''), {
      filters: new Map(),
      fields: undefined,
      sorts: [],
      limit: undefined,
      marker: undefined,
      pageReverse: false,
      tagFilters: {},
      changedSince: undefined,
      matchesNothing: false,
    });
  });
});

describe('filters', () => {
  const cases: [string, string, [string, unknown[]][]][] = [
    ['one value', 'name=net1', [['name', ['net1']]]],
    ['repeated key = OR list', 'name=a&name=b', [['name', ['a', 'b']]]],
    ['several keys', 'name=a&status=ACTIVE', [['name', ['a']], ['status', ['ACTIVE']]]],
    // empty-string-filtering: an empty value asks for the empty string.
    ['empty values kept', 'name=&name=a', [['name', ['', 'a']]]],
    ['an empty value alone', 'name=', [['name', ['']]]],
    ['case-sensitive strings kept', 'name=Net%201', [['name', ['Net 1']]]],
    ...(['1', 't', 'true', 'on', 'y', 'yes', 'TRUE', 'Yes'].map((v) => [
      `boolean ${v}`,
      `admin_state_up=${v}`,
      [['admin_state_up', [true]]],
    ]) as [string, string, [string, unknown[]][]][]),
    ...(['0', 'f', 'false', 'off', 'n', 'no', 'False', 'NO'].map((v) => [
      `boolean ${v}`,
      `admin_state_up=${v}`,
      [['admin_state_up', [false]]],
    ]) as [string, string, [string, unknown[]][]][]),
    ['integer', 'mtu=1500&mtu=9000', [['mtu', [1500, 9000]]]],
    ['numeric enum', 'ip_version=6', [['ip_version', [6]]]],
    ['mac lower-cased', 'mac_address=FA:16:3E:00:00:01', [['mac_address', ['fa:16:3e:00:00:01']]]],
    ['uuid canonicalised', `network_id=${NET_ID.toUpperCase()}`, [['network_id', [NET_ID]]]],
    ['tenant_id reported as project_id', 'tenant_id=p1', [['project_id', ['p1']]]],
    ['project_id', 'project_id=p1&project_id=p2', [['project_id', ['p1', 'p2']]]],
    ['never filters', 'fields=id&sort_key=name&sort_dir=asc&limit=5&marker=x&page_reverse=true', []],
  ];
  for (const [title, qs, expected] of cases) {
    it(title, () => assert.deepEqual(parse(qs).filters, new Map(expected)));
  }

  const errors: [string, string, Expected, Partial<ListQueryOptions>?][] = [
    ['bad boolean', 'admin_state_up=maybe', invalidInput("'maybe' cannot be converted to boolean")],
    ['bad integer', 'mtu=big', invalidInput("'big' is not an integer")],
    ['unknown key', 'foo=1', badRequest("['foo'] is invalid attribute for filtering")],
    ['unknown keys, all named', 'foo=1&name=x&bar=', badRequest("['foo', 'bar'] is invalid attribute for filtering")],
    ['declared but not a filter', 'secret=x', badRequest("['secret'] is invalid attribute for filtering")],
    [
      'project_id and tenant_id at once',
      'project_id=p1&tenant_id=p1',
      badRequest("Filtering on both 'project_id' and 'tenant_id' is not supported; use 'project_id'"),
    ],
  ];
  for (const [title, qs, expected, options] of errors) {
    it(`400: ${title}`, () => assertNeutronError(() => parse(qs, options), expected));
  }
  it('tag filters refused on gadgets', () =>
    assertNeutronError(() => parse('tags-any=a', {}, gadgets), badRequest("['tags-any'] is invalid attribute for filtering")));

  it('without filter validation, unknown keys are ignored and stored (column) ones still filter', () => {
    assert.deepEqual(parse('foo=1&secret=s&name=a', { filterValidation: false }).filters, new Map([
      ['secret', ['s']],
      ['name', ['a']],
    ]));
  });

  it("a plugin's filter on a list of objects gets the raw values", () => {
    const q = parse('fixed_ips=ip_address%3D10.0.0.1&fixed_ips=subnet_id%3Dabc&fixed_ips=', {}, composeApi(coreResources, coreExtensions).resource('ports'));
    assert.deepEqual(q.filters, new Map([['fixed_ips', ['ip_address=10.0.0.1', 'subnet_id=abc', '']]]));
  });
});

describe('tag filters', () => {
  it('comma lists and repeats, deduplicated', () => {
    assert.deepEqual(parse('tags=a,b&tags=c&tags-any=x,,y&not-tags=n&not-tags-any=m,m').tagFilters, {
      tags: ['a', 'b', 'c'],
      tagsAny: ['x', '', 'y'],
      notTags: ['n'],
      notTagsAny: ['m'],
    });
  });
  it('an empty tag is a tag to match (empty-string-filtering), as upstream splits on commas', () => {
    assert.deepEqual(parse('tags=&tags-any=,').tagFilters, { tags: [''], tagsAny: [''] });
  });
});

describe('changed_since', () => {
  const ok: [string, string][] = [
    ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z'],
    ['2026-01-02T03:04:05', '2026-01-02T03:04:05Z'],
    ['2026-01-02', '2026-01-02T00:00:00Z'],
    ['2026-01-02 03:04:05Z', '2026-01-02T03:04:05Z'],
    ['2026-01-02T03:04:05+02:00', '2026-01-02T01:04:05Z'],
    ['2026-01-02T23:30:00-0100', '2026-01-03T00:30:00Z'],
    ['2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05Z'],
    ['2026-01-02T03:04:05.2Z', '2026-01-02T03:04:06Z'],
    ['20260102T030405Z', '2026-01-02T03:04:05Z'],
  ];
  for (const [input, expected] of ok) {
    it(input, () => assert.equal(parseChangedSince(input), expected));
  }
  it('is read from the query, first value', () => {
    assert.equal(parse('changed_since=2026-01-02T03:04:05Z&changed_since=junk').changedSince, '2026-01-02T03:04:05Z');
    // empty-string-filtering: an empty value is a value, and not a time.
    assertNeutronError(() => parse('changed_since='), invalidInput('The input changed_since must be in the following format: YYYY-MM-DDTHH:MM:SSZ'));
  });
  for (const bad of ['yesterday', '2026-13-01T00:00:00Z', '2026-02-30', '2026-01-02T25:00:00Z', '2026-01-02T03:04:05+25:00']) {
    it(`400: ${bad}`, () =>
      assertNeutronError(
        () => parse(`changed_since=${encodeURIComponent(bad)}`),
        invalidInput('The input changed_since must be in the following format: YYYY-MM-DDTHH:MM:SSZ'),
      ));
  }
  it('not a filter of resources without standard attributes', () =>
    assertNeutronError(
      () => parse('changed_since=2026-01-02', {}, gadgets),
      badRequest("['changed_since'] is invalid attribute for filtering"),
    ));
});

describe('fields', () => {
  const cases: [string, string, string[] | undefined][] = [
    ['absent', '', undefined],
    ['repeated, in order', 'fields=name&fields=id', ['name', 'id']],
    ['unknown names ignored', 'fields=id&fields=trunk_details', ['id']],
    ['only unknown names', 'fields=trunk_details', []],
    ['duplicates and empties dropped', 'fields=id&fields=&fields=id', ['id']],
    ['project pair and standard attributes', 'fields=project_id&fields=tags&fields=created_at', ['project_id', 'tags', 'created_at']],
  ];
  for (const [title, qs, expected] of cases) {
    it(title, () => assert.deepEqual(parse(qs).fields, expected));
  }
});

describe('sorting', () => {
  const cases: [string, string, { key: string; dir: string }[]][] = [
    ['one', 'sort_key=name&sort_dir=desc', [{ key: 'name', dir: 'desc' }]],
    [
      'paired lists',
      'sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc',
      [
        { key: 'name', dir: 'asc' },
        { key: 'id', dir: 'desc' },
      ],
    ],
    ['tenant_id reported as project_id', 'sort_key=tenant_id&sort_dir=asc', [{ key: 'project_id', dir: 'asc' }]],
    ['empty values ignored', 'sort_key=&sort_dir=', []],
  ];
  for (const [title, qs, expected] of cases) {
    it(title, () => assert.deepEqual(parse(qs).sorts, expected));
  }
  const errors: [string, string, Expected][] = [
    ['key without dir', 'sort_key=name', badRequest('The number of sort_keys and sort_dirs must be same')],
    ['dir without key', 'sort_dir=asc', badRequest('The number of sort_keys and sort_dirs must be same')],
    ['not sortable', 'sort_key=shared&sort_dir=asc', badRequest("['shared'] is invalid attribute for sort_keys")],
    ['unknown key', 'sort_key=foo&sort_dir=asc', badRequest("['foo'] is invalid attribute for sort_keys")],
    [
      'bad dir',
      'sort_key=name&sort_dir=up',
      badRequest("['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'"),
    ],
    ['dir is case-sensitive', 'sort_key=name&sort_dir=ASC', badRequest("['ASC'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'")],
  ];
  for (const [title, qs, expected] of errors) {
    it(`400: ${title}`, () => assertNeutronError(() => parse(qs), expected));
  }
});

describe('limit, marker, page_reverse', () => {
  const cases: [string, string, number, [number | undefined, string | undefined, boolean]][] = [
    ['no limit', '', -1, [undefined, undefined, false]],
    ['limit', 'limit=5', -1, [5, undefined, false]],
    ['limit 0 = no pagination', 'limit=0', -1, [undefined, undefined, false]],
    ['limit with spaces and sign', 'limit=%20%2B5', -1, [5, undefined, false]],
    ['capped by the maximum', 'limit=500', 100, [100, undefined, false]],
    ['under the maximum', 'limit=50', 100, [50, undefined, false]],
    ['limit 0 with a maximum = the maximum', 'limit=0', 100, [100, undefined, false]],
    ['no limit with a maximum = the maximum', '', 100, [100, undefined, false]],
    ['last limit wins', 'limit=3&limit=4', -1, [4, undefined, false]],
    ['marker and page_reverse', `limit=2&marker=${NET_ID}&page_reverse=True`, -1, [2, NET_ID, true]],
    ['page_reverse any case', 'limit=2&page_reverse=TRUE', -1, [2, undefined, true]],
    ['page_reverse other values are false', 'limit=2&page_reverse=1', -1, [2, undefined, false]],
    ['empty marker', 'limit=2&marker=', -1, [2, undefined, false]],
    ['no marker without limit', `marker=${NET_ID}&page_reverse=true`, -1, [undefined, undefined, false]],
  ];
  for (const [title, qs, max, expected] of cases) {
    it(title, () => {
      const q = parse(qs, { paginationMaxLimit: max });
      assert.deepEqual([q.limit, q.marker, q.pageReverse], expected);
    });
  }
  const errors: [string, string, Expected][] = [
    ['negative', 'limit=-1', badLimit('-1')],
    ['not a number', 'limit=ten', badLimit('ten')],
    ['fraction', 'limit=1.5', badLimit('1.5')],
    ['empty', 'limit=', badLimit('')],
  ];
  for (const [title, qs, expected] of errors) {
    it(`400: ${title}`, () => assertNeutronError(() => parse(qs), expected));
  }
  it('filters are checked before limit, limit before sorting', () => {
    assertNeutronError(() => parse('limit=x&foo=1&sort_key=bar&sort_dir=asc'), badRequest("['foo'] is invalid attribute for filtering"));
    assertNeutronError(() => parse('limit=x&sort_key=bar&sort_dir=asc'), badLimit('x'));
  });
});

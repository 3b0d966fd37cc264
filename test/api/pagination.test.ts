import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type PaginationInput, paginationLinks, quotePlus } from '../../src/api/pagination.js';

const BASE = 'http://neutron:9696/v2.0/networks';
const pairs = (qs: string): [string, string][] => [...new URLSearchParams(qs)];

const links = (qs: string, ids: string[], limit: number | undefined, pageReverse = false) => {
  const input: PaginationInput = { baseUrl: BASE, query: pairs(qs), ids, limit, pageReverse };
  return paginationLinks(input).map((l) => [l.rel, l.href.slice(BASE.length)]);
};

describe('paginationLinks', () => {
  const cases: [string, ReturnType<typeof links>, [string, string][]][] = [
    ['no limit: no links', links('', ['a', 'b'], undefined), []],
    [
      'first page, full: next and previous',
      links('limit=2', ['a', 'b'], 2),
      [
        ['next', '?limit=2&marker=b'],
        ['previous', '?limit=2&marker=a&page_reverse=True'],
      ],
    ],
    [
      'middle page: marker replaced',
      links('limit=2&marker=b', ['c', 'd'], 2),
      [
        ['next', '?limit=2&marker=d'],
        ['previous', '?limit=2&marker=c&page_reverse=True'],
      ],
    ],
    [
      'last page, short: previous only',
      links('limit=2&marker=d', ['e'], 2),
      [['previous', '?limit=2&marker=e&page_reverse=True']],
    ],
    [
      'last page, full: still links to the empty page after it',
      links('limit=2&marker=d', ['e', 'f'], 2),
      [
        ['next', '?limit=2&marker=f'],
        ['previous', '?limit=2&marker=e&page_reverse=True'],
      ],
    ],
    [
      'empty page after the last: previous without marker',
      links('limit=2&marker=f', [], 2),
      [['previous', '?limit=2&page_reverse=True']],
    ],
    [
      'reverse page, full: next drops page_reverse, previous keeps it',
      links('limit=2&marker=e&page_reverse=True', ['c', 'd'], 2, true),
      [
        ['next', '?limit=2&marker=d'],
        ['previous', '?limit=2&marker=c&page_reverse=True'],
      ],
    ],
    [
      'reverse page, short (reached the start): next only',
      links('limit=2&marker=b&page_reverse=true', ['a'], 2, true),
      [['next', '?limit=2&marker=a']],
    ],
    [
      'reverse page, empty: next without marker',
      links('limit=2&marker=a&page_reverse=true', [], 2, true),
      [['next', '?limit=2']],
    ],
    [
      'other parameters keep their order and repeats; changed ones go last',
      links('marker=x&name=a&limit=2&fields=id&fields=name&sort_key=name&sort_dir=desc', ['y', 'z'], 2),
      [
        ['next', '?name=a&limit=2&fields=id&fields=name&sort_key=name&sort_dir=desc&marker=z'],
        ['previous', '?name=a&limit=2&fields=id&fields=name&sort_key=name&sort_dir=desc&marker=y&page_reverse=True'],
      ],
    ],
    [
      'values quoted like Python urlencode',
      links('name=my net/1&limit=1', ['id:1'], 1),
      [
        ['next', '?name=my+net%2F1&limit=1&marker=id%3A1'],
        ['previous', '?name=my+net%2F1&limit=1&marker=id%3A1&page_reverse=True'],
      ],
    ],
  ];
  for (const [title, actual, expected] of cases) {
    it(title, () => assert.deepEqual(actual, expected));
  }

  it('uses the base URL as given', () => {
    const [next] = paginationLinks({ baseUrl: 'https://api.example/net/v2.0/ports', query: [['limit', '1']], ids: ['p'], limit: 1, pageReverse: false });
    assert.deepEqual(next, { rel: 'next', href: 'https://api.example/net/v2.0/ports?limit=1&marker=p' });
  });
});

describe('quotePlus', () => {
  const cases: [string, string][] = [
    ['abcXYZ019_.-~', 'abcXYZ019_.-~'],
    ['a b', 'a+b'],
    ["!'()*", '%21%27%28%29%2A'],
    ['é', '%C3%A9'],
    ['a=b&c', 'a%3Db%26c'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => assert.equal(quotePlus(input), expected));
  }
});

/**
 * Property-based fuzzing of the whole API (issue 14): fast-check builds
 * requests from the resource declarations (src/resources: each collection's
 * attributes, their types, which are allowed on POST and PUT, its member
 * actions) and bends them: wrong types, missing required attributes, unknown
 * ones, huge strings, odd unicode, nested junk, invalid JSON, bad ids in
 * paths, bad filters, sort keys, limits and markers. A few thousand go to a
 * real server (SQLite). Every answer must be a success (the input happened
 * to be valid) or a Neutron 4xx with a NeutronError body (or Neutron's 501
 * for POST /v2.0/quotas) -- never a 5xx -- and the server keeps serving.
 *
 * FUZZ_RUNS (default 2500), FUZZ_SEED and FUZZ_DIALECT replay or widen a run; a failure
 * prints the seed and the requests that failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import { composeApi } from '../../src/resources/compose.js';
import { coreExtensions, coreResources } from '../../src/resources/index.js';
import type { AttrDecl, AttrType, ResourceDecl } from '../../src/resources/types.js';
import { serviceExtensions } from '../../src/server/servicePlugins.js';
import { createTestDatabase, type TestDatabase, type TestDialect } from '../db/databases.js';
import { startTestApi, type TestApi } from '../helpers/testApi.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2500);
/** sqlite (default), mysql or postgres (test/db/databases.ts), to look for what only one backend refuses. */
const DIALECT = (process.env['FUZZ_DIALECT'] ?? 'sqlite') as TestDialect;
const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;

const ADMIN = { 'x-project-id': 'fuzz-admin', 'x-roles': 'admin,member,reader' };
const MEMBER = { 'x-project-id': 'fuzz-member', 'x-roles': 'member,reader' };

const api = composeApi(coreResources, [...coreExtensions, ...serviceExtensions(new Set(['router']), { enable_dvr: false })]);
const topLevel = [...api.resources.values()].filter((r) => r.parent === undefined);
const nested = [...api.resources.values()].filter((r) => r.parent !== undefined);

/** A request as sent: the body is raw text (so that invalid JSON can be sent too). */
interface FuzzRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: string;
  readonly admin: boolean;
}

/** Ids of real objects, filled before the run: bad input next to good ids reaches deeper. */
const ids = new Map<string, string[]>();
const idOf = (collection: string) => fc.constantFrom(...(ids.get(collection) ?? ['00000000-0000-0000-0000-000000000000']));

// ---------------------------------------------------------------------------
// Values

const oddStrings = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    'é\u0301',
    '\u202e\u0000\uffff',
    '🚀'.repeat(300),
    'x'.repeat(70_000),
    'a'.repeat(256),
    'a'.repeat(1025),
    '%s%d%(name)s',
    '{{}}',
    "'; DROP TABLE networks; --",
    '../../etc/passwd',
    'null',
    'true',
    '0x10',
    '1e400',
    '-0',
    'NaN',
    '::',
    '10.0.0.0/33',
    '256.1.1.1',
    'fe80::1%eth0',
    '2001:db8::/129',
    'ff:ff:ff:ff:ff:ff',
    '01:00:00:00:00:00',
    '00:00:00:00:00:00',
    'ZZ:16:3e:00:00:01',
  ),
);

const oddNumbers = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, -0, 1, 4094, 4095, 4096, 65535, 65536, 16777215, 16777216, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 1e308, 0.5),
);

const junk: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddStrings,
    oddNumbers,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(oddStrings, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A plausible value of a declared type, sometimes valid, often at an edge. */
function plausible(type: AttrType, depth = 0): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'string':
      return fc.oneof(fc.string({ maxLength: 20 }), fc.constant('s'.repeat((type.maxLength ?? 255) + 1)), oddStrings);
    case 'uuid':
      return fc.oneof(fc.uuid(), fc.constantFrom(...[...ids.values()].flat().slice(0, 20), 'not-a-uuid', '00000000-0000-0000-0000-00000000000G'));
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 'False', 'yes', 'off', 1, 0, 2, 'maybe'));
    case 'integer':
      return fc.oneof(oddNumbers, fc.constantFrom(type.min ?? 0, (type.min ?? 0) - 1, type.max ?? 1, (type.max ?? 1) + 1, '42', '4.5'));
    case 'mac':
      return fc.oneof(fc.constantFrom('fa:16:3e:00:00:01', 'FA-16-3E-00-00-02', 'fa163e000003', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', 'zz'), oddStrings);
    case 'ip':
    case 'ip-or-cidr':
    case 'cidr':
      return fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.ipV4().map((ip) => `${ip}/${Math.floor(Math.random() * 40)}`),
        fc.ipV6().map((ip) => `${ip}/64`),
        fc.constantFrom('10.0.0.0/8', '0.0.0.0/0', '::/0', '10.0.0.1/24', '10.0.0.0/33', '::ffff:1.2.3.4', '1.2.3', '1.2.3.4.5', '01.02.03.04'),
      );
    case 'enum':
      return fc.oneof(fc.constantFrom(...type.values), fc.constantFrom('', 'NOPE', 99));
    case 'list':
      return fc.oneof(
        depth < 2 ? fc.array(plausible(type.of, depth + 1), { maxLength: type.maxItems !== undefined ? type.maxItems + 2 : 4 }) : fc.constant([]),
        junk,
      );
    case 'object':
      return fc.oneof(
        depth < 2 ? bodyFor(Object.fromEntries(Object.entries(type.fields).map(([k, f]) => [k, { type: f.type, post: true, put: true, ...(f.required ? { required: true } : {}) } satisfies AttrDecl])), 'post', depth + 1) : fc.constant({}),
        junk,
      );
    case 'dict':
      return fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), junk, { maxKeys: 3 }), junk);
    case 'dns-name':
      return fc.oneof(fc.domain(), fc.constantFrom('a.', '-a', 'a'.repeat(64), 'a..b', '1234', 'host_name'), oddStrings);
    case 'any':
      return fc.oneof(fc.constantFrom('tcp', 'udp', 'icmp', 6, '17', 'IPv4', 'IPv6', 'ingress', 'egress', 0, 65535, 65536, -1), junk);
    default: {
      const never: never = type;
      throw new Error(`unknown type ${JSON.stringify(never)}`);
    }
  }
}

/** A body object from a declaration: some allowed attributes (valid-ish or junk), maybe required ones left out, maybe unknown ones. */
function bodyFor(attributes: Readonly<Record<string, AttrDecl>>, op: 'post' | 'put', depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(attributes);
  const allowed = entries.filter(([, a]) => (op === 'post' ? a.post : a.put));
  const forbidden = entries.filter(([, a]) => !(op === 'post' ? a.post : a.put));
  const pick = <T>(list: readonly T[]) => (list.length === 0 ? fc.constant([] as T[]) : fc.subarray([...list]));
  return fc
    .record({
      chosen: pick(allowed),
      wrongOp: fc.oneof({ weight: 4, arbitrary: fc.constant([] as [string, AttrDecl][]) }, { weight: 1, arbitrary: pick(forbidden) }),
      unknown: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), junk, { maxKeys: 2 }) }),
      junkRatio: fc.integer({ min: 0, max: 4 }),
      seed: fc.integer(),
    })
    .chain(({ chosen, wrongOp, unknown, junkRatio }) => {
      const keys = [...chosen, ...wrongOp];
      const values = keys.map(([, a]) => (junkRatio === 0 ? junk : fc.oneof({ weight: junkRatio, arbitrary: plausible(a.type, depth) }, { weight: 1, arbitrary: junk })));
      return fc.tuple(...values).map((vals) => ({ ...unknown, ...Object.fromEntries(keys.map(([k], i) => [k, vals[i]])) }));
    });
}

/** Which collection an id attribute names, by its name (network_id -> networks). */
const REFERENCES: Readonly<Record<string, string>> = {
  network_id: 'networks',
  floating_network_id: 'networks',
  subnet_id: 'subnets',
  port_id: 'ports',
  device_id: 'routers',
  router_id: 'routers',
  security_group_id: 'security-groups',
  remote_group_id: 'security-groups',
  security_groups: 'security-groups',
  subnetpool_id: 'subnetpools',
  address_scope_id: 'address-scopes',
  object_id: 'networks',
};

/** A value the type accepts (often; an enum's or a range's first), so that the rest of a body gets past validation. */
function validValue(name: string, type: AttrType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'string':
      return fc.constantFrom('fuzz', 'x', 'tcp', 'IPv4', 'ingress', 'network', 'access_as_shared');
    case 'uuid':
      return REFERENCES[name] ? fc.oneof(idOf(REFERENCES[name]), fc.uuid()) : fc.uuid();
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: type.min ?? 0, max: Math.min(type.max ?? 100, (type.min ?? 0) + 100) });
    case 'mac':
      return fc.integer({ min: 0, max: 0xffffff }).map((n) => `fa:16:3e:${[16, 8, 0].map((b) => ((n >> b) & 0xff).toString(16).padStart(2, '0')).join(':')}`);
    case 'ip':
      return type.version === 6 ? fc.constantFrom('fd00::5', '2001:db8::1') : fc.integer({ min: 2, max: 254 }).map((n) => `10.9.0.${n}`);
    case 'ip-or-cidr':
    case 'cidr':
      return fc.oneof(fc.integer({ min: 0, max: 255 }).map((n) => `10.${n}.0.0/24`), fc.constantFrom('fd00:1::/64', '0.0.0.0/0', '10.9.0.0/25'));
    case 'enum':
      return fc.constantFrom(...type.values);
    case 'list':
      return REFERENCES[name] ? fc.array(idOf(REFERENCES[name]), { maxLength: 2 }) : fc.oneof(fc.constant([]), fc.array(validValue(name, type.of), { maxLength: 2 }));
    case 'object':
      return fc.record(
        Object.fromEntries(Object.entries(type.fields).map(([k, f]) => [k, validValue(k, f.type)])),
        { requiredKeys: Object.entries(type.fields).filter(([, f]) => f.required).map(([k]) => k) },
      );
    case 'dict':
      return fc.constant({});
    case 'dns-name':
      return fc.constantFrom('host1', 'example.org.');
    case 'any':
      return fc.constantFrom('tcp', 'udp', 'icmp', 6, null, 22, 'IPv4', 'IPv6');
    default: {
      const never: never = type;
      throw new Error(`unknown type ${JSON.stringify(never)}`);
    }
  }
}

/** A body that is valid but for a few attributes: the required ones with valid values, some optional ones bent. */
function nearlyValid(attributes: Readonly<Record<string, AttrDecl>>, op: 'post' | 'put'): fc.Arbitrary<Record<string, unknown>> {
  const allowed = Object.entries(attributes).filter(([, a]) => (op === 'post' ? a.post : a.put) && a.policy !== 'admin');
  const required = allowed.filter(([, a]) => op === 'post' && a.required);
  const optional = allowed.filter(([, a]) => !(op === 'post' && a.required));
  return fc
    .tuple(
      fc.tuple(...required.map(([k, a]) => validValue(k, a.type))),
      optional.length ? fc.subarray(optional, { maxLength: Math.min(3, optional.length) }) : fc.constant([] as [string, AttrDecl][]),
    )
    .chain(([requiredValues, picked]) =>
      fc.tuple(...picked.map(([k, a]) => fc.oneof({ weight: 2, arbitrary: validValue(k, a.type) }, { weight: 1, arbitrary: plausible(a.type) }))).map((values) => ({
        ...Object.fromEntries(required.map(([k], i) => [k, requiredValues[i]])),
        ...Object.fromEntries(picked.map(([k], i) => [k, values[i]])),
      })),
    );
}

// ---------------------------------------------------------------------------
// Requests

/** encodeURIComponent, with lone surrogates (which it refuses) made U+FFFD first. */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
const collectionPath = (r: ResourceDecl) => `/v2.0/${r.path ?? r.collection}`;
const json = (value: unknown) => JSON.stringify(value);

const badIds = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 300 }).map(enc),
  fc.constantFrom('%00', '..', '%2e%2e', '%ZZ', '%', 'a%2Fb', '😀', '%F0%9F%98', 'x'.repeat(5000), ' ', '%20', 'null', '-1', '0'),
);

const invalidJson = fc.oneof(
  fc.constantFrom('{', '}', '{"network":', '{"network": {}}}', "{'network': {}}", '[1,2', 'nul', 'NaN', '{"a":1,}', '\u0000', '\ufeff{}', '{"network": {"name": "\\ud800"}}', '{"network": {"name": "\\x41"}}', '[]', '""', '0', 'true', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {}}}'),
  fc.string({ maxLength: 50 }),
  fc.constant('['.repeat(5000) + ']'.repeat(5000)),
  fc.constant(`{"network": {"name": "${'a'.repeat(200_000)}"}}`),
);

function resourceRequests(r: ResourceDecl): fc.Arbitrary<FuzzRequest>[] {
  const base = collectionPath(r);
  const member = r.member;
  const existing = fc.oneof(idOf(r.collection), badIds);
  const attrNames = Object.keys(r.attributes);
  const out: fc.Arbitrary<FuzzRequest>[] = [];
  const admin = fc.boolean();
  out.push(
    fc.record({ body: bodyFor(r.attributes, 'post'), admin, wrap: fc.constantFrom('member', 'bulk', 'bare', 'wrong', 'bulk-junk') }).map(({ body, admin, wrap }) => ({
      method: 'POST' as const,
      path: base,
      admin,
      body: json(
        wrap === 'member' ? { [member]: body } : wrap === 'bulk' ? { [r.collection]: [body, body] } : wrap === 'bare' ? body : wrap === 'wrong' ? { [`${member}x`]: body } : { [r.collection]: body },
      ),
    })),
  );
  out.push(
    fc.record({ body: nearlyValid(r.attributes, 'post'), admin }).map(({ body, admin }) => ({ method: 'POST' as const, path: base, admin, body: json({ [member]: body }) })),
    fc.record({ id: idOf(r.collection), body: nearlyValid(r.attributes, 'put'), admin }).map(({ id, body, admin }) => ({ method: 'PUT' as const, path: `${base}/${id}`, admin, body: json({ [member]: body }) })),
  );
  out.push(
    fc.record({ id: existing, body: bodyFor(r.attributes, 'put'), admin, envelope: fc.boolean() }).map(({ id, body, admin, envelope }) => ({
      method: 'PUT' as const,
      path: `${base}/${id}`,
      admin,
      body: json(envelope ? { [member]: body } : body),
    })),
  );
  out.push(fc.record({ id: existing, admin, fields: fc.array(fc.oneof(fc.constantFrom(...attrNames), fc.string({ maxLength: 8 })), { maxLength: 3 }) }).map(({ id, admin, fields }) => ({
    method: 'GET' as const,
    path: `${base}/${id}${fields.length ? '?' + fields.map((f) => `fields=${enc(f)}`).join('&') : ''}`,
    admin,
  })));
  out.push(fc.record({ id: badIds, admin }).map(({ id, admin }) => ({ method: 'DELETE' as const, path: `${base}/${id}`, admin })));
  out.push(fc.record({ body: invalidJson, admin, put: fc.boolean(), id: idOf(r.collection) }).map(({ body, admin, put, id }) => ({ method: put ? ('PUT' as const) : ('POST' as const), path: put ? `${base}/${id}` : base, admin, body })));
  // Lists: filters (declared, unknown, junk values), fields, sorting, pagination.
  const queryParam = fc.oneof(
    fc.tuple(fc.constantFrom(...attrNames), fc.oneof(fc.string({ maxLength: 20 }), oddStrings, fc.constantFrom('', 'True', '1', 'null', 'None'))),
    fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })),
    fc.tuple(fc.constant('fields'), fc.oneof(fc.constantFrom(...attrNames), fc.string({ maxLength: 10 }))),
    fc.tuple(fc.constant('sort_key'), fc.oneof(fc.constantFrom(...attrNames), fc.string({ maxLength: 10 }))),
    fc.tuple(fc.constant('sort_dir'), fc.constantFrom('asc', 'desc', 'ASC', 'up', '')),
    fc.tuple(fc.constant('limit'), fc.oneof(oddNumbers.map(String), fc.constantFrom('', 'abc', '1e3', '0x10', '-0', '99999999999999999999'))),
    fc.tuple(fc.constant('marker'), fc.oneof(idOf(r.collection), badIds)),
    fc.tuple(fc.constant('page_reverse'), fc.constantFrom('True', 'false', 'maybe', '')),
    fc.tuple(fc.constantFrom('tags', 'tags-any', 'not-tags', 'not-tags-any'), fc.oneof(fc.string({ maxLength: 10 }), fc.constant(','))),
  );
  out.push(
    fc.record({ params: fc.array(queryParam, { maxLength: 5 }), admin }).map(({ params, admin }) => ({
      method: 'GET' as const,
      path: `${base}${params.length ? '?' + params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&') : ''}`,
      admin,
    })),
  );
  for (const [name, action] of Object.entries(r.actions ?? {})) {
    out.push(
      fc.record({ id: existing, body: action.body ? bodyFor(action.body, 'post') : fc.constant({}), raw: fc.option(junk, { freq: 4 }), admin }).map(({ id, body, raw, admin }) => ({
        method: action.method,
        path: `${base}/${id}/${name}`,
        admin,
        ...(action.method === 'PUT' || action.method === 'POST' ? { body: json(raw ?? body) } : {}),
      })),
    );
  }
  if (r.taggable) {
    out.push(
      fc.record({ id: existing, tag: fc.oneof(fc.string({ maxLength: 70 }).map(enc), badIds), tags: junk, admin, put: fc.boolean() }).map(({ id, tag, tags, admin, put }) =>
        put ? { method: 'PUT' as const, path: `${base}/${id}/tags`, admin, body: json({ tags }) } : { method: 'PUT' as const, path: `${base}/${id}/tags/${tag}`, admin },
      ),
    );
  }
  return out;
}

function nestedRequests(r: ResourceDecl): fc.Arbitrary<FuzzRequest>[] {
  const parent = [...api.resources.values()].find((p) => p.member === r.parent || p.collection === r.parent);
  if (!parent) return [];
  const base = fc.oneof(idOf(parent.collection), badIds).map((id) => `${collectionPath(parent)}/${id}/${r.path ?? r.collection}`);
  return [
    fc.record({ base, body: bodyFor(r.attributes, 'post'), admin: fc.boolean() }).map(({ base, body, admin }) => ({ method: 'POST' as const, path: base, admin, body: json({ [r.member]: body }) })),
    fc.record({ base, id: badIds, body: bodyFor(r.attributes, 'put'), admin: fc.boolean() }).map(({ base, id, body, admin }) => ({ method: 'PUT' as const, path: `${base}/${id}`, admin, body: json({ [r.member]: body }) })),
    fc.record({ base, admin: fc.boolean() }).map(({ base, admin }) => ({ method: 'GET' as const, path: base, admin })),
  ];
}

function otherRequests(): fc.Arbitrary<FuzzRequest>[] {
  const admin = fc.boolean();
  return [
    fc.record({ project: fc.oneof(fc.constant('fuzz-member'), badIds), body: junk, admin }).map(({ project, body, admin }) => ({ method: 'PUT' as const, path: `/v2.0/quotas/${project}`, admin, body: json({ quota: body }) })),
    fc.record({ project: fc.oneof(fc.constant('fuzz-member'), badIds), admin, tail: fc.constantFrom('', '/default', '/details', '/x') }).map(({ project, admin, tail }) => ({ method: 'GET' as const, path: `/v2.0/quotas/${project}${tail}`, admin })),
    fc.record({ body: junk, admin }).map(({ body, admin }) => ({ method: 'POST' as const, path: '/v2.0/quotas', admin, body: json(body) })),
    fc.record({ path: fc.string({ maxLength: 30 }).map((s) => `/v2.0/${enc(s)}`), admin, method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') }).map(({ path, admin, method }) => ({ method, path, admin, ...(method === 'POST' || method === 'PUT' ? { body: '{}' } : {}) })),
    fc.record({ q: fc.string({ maxLength: 40 }), admin }).map(({ q, admin }) => ({ method: 'GET' as const, path: `/v2.0/networks?${q}`, admin })),
  ];
}

// ---------------------------------------------------------------------------

interface Failure {
  readonly request: FuzzRequest;
  readonly status: number;
  readonly body: string;
}

function isNeutronError(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { NeutronError?: { type?: unknown; message?: unknown; detail?: unknown } };
    const e = parsed.NeutronError;
    return typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.message === 'string' && typeof e.detail === 'string';
  } catch {
    return false;
  }
}

/** eventlet.wsgi's own answers, before Neutron sees the request: a status line and an empty body (httpEdge.ts). */
const EVENTLET_ANSWERS = new Set(['414 Request URI Too Long', '400 Headers Too Large', '400 Header Line Too Long']);

/** What is acceptable: a success, a 4xx with a NeutronError body (or eventlet's), or 501 for POST /v2.0/quotas. */
function judge(request: FuzzRequest, status: number, statusText: string, body: string): boolean {
  if (status >= 200 && status < 300) return true;
  if (EVENTLET_ANSWERS.has(`${status} ${statusText}`)) return body === '';
  if (status === 501) return request.method === 'POST' && /^\/v2\.0\/quotas\/?$/.test(request.path) && isNeutronError(body);
  if (status >= 400 && status < 500) return isNeutronError(body);
  return false;
}

describe('API fuzzing from the resource declarations', () => {
  let server: TestApi;
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase(DIALECT);
    server = await startTestApi(database.url, { DEFAULT: { service_plugins: ['router'] } });
    const create = async (path: string, body: unknown) => {
      const response = await server.request('POST', path, body, ADMIN);
      assert.ok(response.status === 201, `${path}: ${response.status} ${JSON.stringify(response.body)}`);
      const member = Object.values(response.body as Record<string, { id: string }>)[0];
      return member?.id ?? '';
    };
    const net = await create('/v2.0/networks', { network: { name: 'fuzz', shared: true } });
    const ext = await create('/v2.0/networks', { network: { name: 'ext', 'router:external': true } });
    const subnet = await create('/v2.0/subnets', { subnet: { network_id: net, cidr: '10.9.0.0/24', ip_version: 4 } });
    await create('/v2.0/subnets', { subnet: { network_id: ext, cidr: '172.24.9.0/24', ip_version: 4 } });
    const port = await create('/v2.0/ports', { port: { network_id: net } });
    const router = await create('/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext } } });
    const sg = await create('/v2.0/security-groups', { security_group: { name: 'sg' } });
    const pool = await create('/v2.0/subnetpools', { subnetpool: { name: 'pool', prefixes: ['10.200.0.0/16'], default_prefixlen: 24 } });
    const scope = await create('/v2.0/address-scopes', { address_scope: { name: 'scope', ip_version: 4 } });
    ids.set('networks', [net, ext]);
    ids.set('subnets', [subnet]);
    ids.set('ports', [port]);
    ids.set('routers', [router]);
    ids.set('security-groups', [sg]);
    ids.set('subnetpools', [pool]);
    ids.set('address-scopes', [scope]);
  });
  after(async () => {
    await server.close();
    await database.drop();
  });

  test('what the fuzzer found (on PostgreSQL: 500s): NUL characters, integers beyond an INTEGER column', async () => {
    const net = ids.get('networks')?.[0] ?? '';
    const nul = { NeutronError: { type: 'InvalidInput', message: 'Invalid input for operation: NUL characters are not allowed in strings.', detail: '' } };
    const show = await server.request('GET', '/v2.0/networks/%00', undefined, ADMIN);
    assert.equal(show.status, 404);
    assert.equal(show.body.NeutronError.type, 'NetworkNotFound');
    assert.equal((await server.request('DELETE', '/v2.0/ports/a%00b', undefined, ADMIN)).body.NeutronError.type, 'PortNotFound');
    assert.deepEqual((await server.request('POST', '/v2.0/networks', { network: { name: 'a\u0000b' } }, ADMIN)).body, nul);
    assert.deepEqual((await server.request('GET', '/v2.0/networks?name=%00', undefined, ADMIN)).body, nul);
    assert.deepEqual((await server.request('PUT', `/v2.0/networks/${net}/tags/x%00`, undefined, ADMIN)).body, nul);
    const mtu = await server.request('PUT', `/v2.0/networks/${net}`, { network: { mtu: 2 ** 31 } }, ADMIN);
    assert.deepEqual(mtu.body, {
      NeutronError: { type: 'HTTPBadRequest', message: "Invalid input for mtu. Reason: '2147483648' is too large - must be no larger than '2147483647'.", detail: '' },
    });
    const list = await server.request('GET', '/v2.0/networks?mtu=2147483648&mtu=1099511627776', undefined, ADMIN);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.networks, []);
    assert.equal((await server.request('GET', '/v2.0/networks?mtu=2147483648&mtu=1500', undefined, ADMIN)).body.networks.length, 2);
  });

  test(`${RUNS} generated requests: never a 5xx, always a NeutronError for a 4xx; the server keeps serving`, { timeout: 120_000 }, async (t) => {
    const requests = fc.oneof(...[...topLevel.flatMap(resourceRequests), ...nested.flatMap(nestedRequests), ...otherRequests()]);
    const failures: Failure[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        sent += 1;
        const response = await fetch(`${server.url}${request.path}`, {
          method: request.method,
          headers: { ...(request.admin ? ADMIN : MEMBER), ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(request.body !== undefined ? { body: request.body } : {}),
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (!judge(request, response.status, response.statusText, text)) failures.push({ request, status: response.status, body: text.slice(0, 300) });
        return true;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`seed ${SEED}: ${sent} requests in ${seconds} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    const still = await server.request('GET', '/v2.0/networks', undefined, ADMIN);
    assert.equal(still.status, 200, 'the server still serves GET /v2.0/networks');
    // One example of each kind of wrong answer first (status, method, collection), then more.
    const kinds = new Map<string, Failure>();
    for (const f of failures) {
      const kind = `${f.status} ${f.request.method} ${f.request.path.split(/[/?]/)[2] ?? ''}`;
      if (!kinds.has(kind)) kinds.set(kind, f);
    }
    const shown = [...new Set([...kinds.values(), ...failures])].slice(0, 25).map((f) => `${f.status} ${f.request.method} ${f.request.path.slice(0, 200)} ${(f.request.body ?? '').slice(0, 300)}\n    -> ${f.body}`);
    assert.equal(failures.length, 0, `seed ${SEED}: ${failures.length} of ${sent} requests answered wrongly (in ${seconds} s):\n${shown.join('\n')}`);
  });
});

/**
 * A list without a limit is read in batches (api/listBatches.ts) and written
 * as it is read: the batches join into the list one call would give, an
 * object deleted between two batches costs nothing else, an error before the
 * first byte is still a NeutronError, and one after it ends the connection
 * (a truncated body, logged) instead of a short list.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import type { FastifyInstance } from 'fastify';
import pino from 'pino';

import { buildApp } from '../../src/api/app.js';
import { LIST_BATCH } from '../../src/api/listBatches.js';
import { noauthContext } from '../../src/api/noauth.js';
import { NeutronError } from '../../src/common/errors.js';
import type { ApiObject, Collection, ListRequest } from '../../src/plugins/collection.js';
import { MarkerNotFound } from '../../src/plugins/core/listRows.js';
import type { TagService } from '../../src/plugins/core/tags.js';
import { composeApi } from '../../src/resources/compose.js';
import type { ResourceDecl } from '../../src/resources/types.js';

const boxes = {
  collection: 'boxes',
  member: 'box',
  table: 'boxes',
  attributes: {
    id: { type: { kind: 'uuid' }, sort: true, column: 'id' },
    name: { type: { kind: 'string' }, post: true, default: '', sort: true, column: 'name' },
    label: { type: { kind: 'string' }, post: true, nullable: true, default: null, sort: true, column: 'label' },
    tenant_id: { type: { kind: 'string' }, post: true, column: 'project_id' },
  },
} as const satisfies ResourceDecl;

const COUNT = 2 * LIST_BATCH + 17;
const idOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * Boxes in id order, paged as listRows pages (limit rows after the marker);
 * `beforeList` runs before each call, numbered from 1.
 */
function boxCollection(keysetPaging: boolean) {
  const objects: ApiObject[] = Array.from({ length: COUNT }, (_, i) => ({ id: idOf(i), name: `box ${i}`, label: null, tenant_id: 'p1', project_id: 'p1' }));
  const calls: ListRequest[] = [];
  const state = { beforeList: (_call: number): void => undefined };
  const collection: Collection = {
    ...(keysetPaging ? { keysetPaging: true as const } : {}),
    list: async (_ctx, query) => {
      calls.push(query);
      state.beforeList(calls.length);
      let start = 0;
      if (query.marker !== undefined) {
        const at = objects.findIndex((o) => o.id === query.marker);
        if (at < 0) throw new MarkerNotFound(query.marker);
        start = at + 1;
      }
      return objects.slice(start, query.limit === undefined ? undefined : start + query.limit);
    },
    show: async () => objects[0]!,
    update: async () => objects[0]!,
    delete: async () => undefined,
  };
  return { collection, objects, calls, state };
}

function appWith(collection: Collection, log: string[]): FastifyInstance {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.push(chunk.toString());
      done();
    },
  });
  return buildApp({
    api: composeApi([boxes], []),
    collections: new Map([['boxes', collection]]),
    tags: {} as TagService,
    authenticate: (request, requestId) => noauthContext(request.headers, requestId),
    options: { paginationMaxLimit: -1, filterValidation: true, allowBulk: true, linkPrefix: undefined },
    logger: pino({ level: 'warn' }, sink),
  });
}

/** GET over a real socket: the status, the body received, and whether the response ended cleanly. */
function get(url: string): Promise<{ status: number; text: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, complete: res.complete }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, text, complete: false }));
        res.on('aborted', () => resolve({ status: res.statusCode ?? 0, text, complete: false }));
      })
      .on('error', reject);
  });
}

describe('lists read in batches', () => {
  const log: string[] = [];
  const paged = boxCollection(true);
  const whole = boxCollection(false);
  let app: FastifyInstance;
  let wholeApp: FastifyInstance;
  let url: string;

  before(async () => {
    app = appWith(paged.collection, log);
    wholeApp = appWith(whole.collection, []);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await wholeApp.close();
  });

  const reset = (c: ReturnType<typeof boxCollection>) => {
    c.calls.length = 0;
    c.state.beforeList = () => undefined;
  };

  it('reads batches of LIST_BATCH after the last object sent, and joins them into the list one call gives', async () => {
    reset(paged);
    const res = await app.inject({ method: 'GET', url: '/v2.0/boxes' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      paged.calls.map((q) => [q.limit, q.marker]),
      [
        [LIST_BATCH, undefined],
        [LIST_BATCH, idOf(LIST_BATCH - 1)],
        [LIST_BATCH, idOf(2 * LIST_BATCH - 1)],
      ],
    );
    const one = await wholeApp.inject({ method: 'GET', url: '/v2.0/boxes' });
    assert.equal(res.body, one.body);
    assert.equal(res.json().boxes.length, COUNT);
  });

  it('a paginated request, a collection without keyset paging, and a sort on an attribute that may be null are one call', async () => {
    reset(paged);
    reset(whole);
    await app.inject({ method: 'GET', url: '/v2.0/boxes?limit=5' });
    await app.inject({ method: 'GET', url: '/v2.0/boxes?sort_key=label&sort_dir=asc' });
    await wholeApp.inject({ method: 'GET', url: '/v2.0/boxes' });
    assert.deepEqual(
      paged.calls.map((q) => q.limit),
      [5, undefined],
    );
    assert.deepEqual(
      whole.calls.map((q) => q.limit),
      [undefined],
    );
    reset(paged);
    await app.inject({ method: 'GET', url: '/v2.0/boxes?sort_key=name&sort_dir=desc' });
    assert.equal(paged.calls.length, 3, 'name is never null: batches');
  });

  it('an object deleted between two batches: the batch after it still follows, nothing is sent twice', async () => {
    reset(paged);
    const removed: ApiObject[] = [];
    paged.state.beforeList = (call) => {
      // The first batch's last two objects go after it was read: its marker, and the one before.
      if (call === 2) removed.push(...paged.objects.splice(LIST_BATCH - 2, 2));
    };
    try {
      const res = await app.inject({ method: 'GET', url: '/v2.0/boxes' });
      assert.equal(res.statusCode, 200);
      const ids = (res.json().boxes as ApiObject[]).map((b) => b.id);
      assert.equal(ids.length, COUNT, 'the deleted ones had been sent; the others come once');
      assert.equal(new Set(ids).size, COUNT);
      assert.deepEqual(ids, Array.from({ length: COUNT }, (_, i) => idOf(i)));
      assert.deepEqual(
        paged.calls.slice(1, 4).map((q) => q.marker),
        [idOf(LIST_BATCH - 1), idOf(LIST_BATCH - 2), idOf(LIST_BATCH - 3)],
      );
    } finally {
      paged.objects.splice(LIST_BATCH - 2, 0, ...removed);
    }
  });

  it('an error in the first batch is a NeutronError with its status', async () => {
    reset(paged);
    paged.state.beforeList = () => {
      throw new NeutronError(409, 'Conflict', 'not now');
    };
    const res = await get(`${url}/v2.0/boxes`);
    assert.equal(res.status, 409);
    assert.deepEqual(JSON.parse(res.text), { NeutronError: { type: 'Conflict', message: 'not now', detail: '' } });
  });

  it('an error after the first byte ends the connection: the body is cut, not closed as a shorter list, and logged', async () => {
    reset(paged);
    log.length = 0;
    paged.state.beforeList = (call) => {
      if (call === 2) throw new Error('the database went away');
    };
    const res = await get(`${url}/v2.0/boxes`);
    assert.equal(res.status, 200);
    assert.equal(res.complete, false);
    assert.ok(res.text.startsWith('{"boxes":[{'), res.text.slice(0, 40));
    assert.throws(() => JSON.parse(res.text));
    assert.match(log.join(''), /the database went away/);
    reset(paged);
    const again = await get(`${url}/v2.0/boxes`);
    assert.equal(again.status, 200);
    assert.equal(JSON.parse(again.text).boxes.length, COUNT);
  });
});

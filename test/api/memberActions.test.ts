/**
 * The generic controller serves what declarations name beyond CRUD: member
 * actions (`PUT /v2.0/<collection>/{id}/<action>`, a bare body, policy rule
 * `<action>`) and collections nested under another's members
 * (`/v2.0/<parent path>/{id}/<path>`, the plugin asked per parent).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { FastifyInstance } from 'fastify';
import pino from 'pino';

import { buildApp } from '../../src/api/app.js';
import { noauthContext } from '../../src/api/noauth.js';
import { NotFound } from '../../src/common/errors.js';
import type { ApiObject, Collection, NestedCollection } from '../../src/plugins/collection.js';
import type { TagService } from '../../src/plugins/core/tags.js';
import { composeApi } from '../../src/resources/compose.js';
import type { ResourceDecl } from '../../src/resources/types.js';

const boxes = {
  collection: 'boxes',
  member: 'box',
  path: 'storage/boxes',
  notFound: { type: 'BoxNotFound', message: (id) => `Box ${id} could not be found.` },
  attributes: {
    id: { type: { kind: 'uuid' } },
    name: { type: { kind: 'string' }, post: true, put: true, default: '' },
    tenant_id: { type: { kind: 'string' }, post: true },
  },
  actions: {
    add_label: { method: 'PUT', body: { label: { type: { kind: 'string', maxLength: 8 } } } },
  },
  policy: { rules: { add_label: 'rule:admin_or_owner' } },
} as const satisfies ResourceDecl;

const items = {
  collection: 'items',
  member: 'item',
  parent: 'boxes',
  attributes: {
    id: { type: { kind: 'uuid' } },
    weight: { type: { kind: 'integer', min: 0 }, post: true, required: true },
    tenant_id: { type: { kind: 'string' }, post: true },
  },
} as const satisfies ResourceDecl;

const BOX = '6f3c4b1e-0000-4000-8000-000000000001';

/** A plugin that keeps objects in memory: enough to drive the controller. */
function memoryCollection(prefix: string, seed: ApiObject[] = []): Collection & { objects: ApiObject[] } {
  const objects = [...seed];
  let next = 1;
  const find = (id: string) => {
    const found = objects.find((o) => o.id === id);
    if (!found) throw new NotFound(`${prefix} ${id}`);
    return found;
  };
  return {
    objects,
    list: async () => objects,
    show: async (_ctx, id) => find(id),
    create: async (_ctx, input) => input.map((item) => {
      const created = { ...item, id: `${prefix}-${next++}` };
      objects.push(created);
      return created;
    }),
    update: async (_ctx, id, changes) => Object.assign(find(id), changes),
    delete: async (_ctx, id) => {
      objects.splice(objects.indexOf(find(id)), 1);
    },
  };
}

describe('member actions and nested collections', () => {
  let app: FastifyInstance;
  const labels: [string, ApiObject][] = [];
  const itemsByBox = new Map<string, Collection>();

  before(async () => {
    const box = memoryCollection('box', [{ id: BOX, name: 'b', tenant_id: 'p1', project_id: 'p1' }]);
    const withActions: Collection = {
      ...box,
      actions: {
        add_label: async (_ctx, id, body) => {
          labels.push([id, body]);
          return { id, labels: [body.label] };
        },
      },
    };
    const nested: NestedCollection = {
      within(parentId) {
        let c = itemsByBox.get(parentId);
        if (!c) itemsByBox.set(parentId, (c = memoryCollection(`item-of-${parentId}`)));
        return c;
      },
    };
    app = buildApp({
      api: composeApi([boxes, items], []),
      collections: new Map<string, Collection | NestedCollection>([
        ['boxes', withActions],
        ['items', nested],
      ]),
      tags: {} as TagService,
      authenticate: (request, requestId) => noauthContext(request.headers, requestId),
      options: { paginationMaxLimit: -1, filterValidation: true, allowBulk: true, linkPrefix: undefined },
      logger: pino({ level: 'silent' }),
    });
    await app.ready();
  });
  after(() => app.close());

  const as = (project: string, roles = 'member') => ({ 'x-project-id': project, 'x-roles': roles });

  it('a member action gets the checked bare body and returns the bare response', async () => {
    const res = await app.inject({ method: 'PUT', url: `/v2.0/storage/boxes/${BOX}/add_label`, headers: as('p1'), payload: { label: 'red' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { id: BOX, labels: ['red'] });
    assert.deepEqual(labels.at(-1), [BOX, { label: 'red' }]);
  });

  it("the action's body is validated as declared, its method only, and its rule is enforced", async () => {
    const tooLong = await app.inject({ method: 'PUT', url: `/v2.0/storage/boxes/${BOX}/add_label`, headers: as('p1'), payload: { label: 'much-too-long' } });
    assert.equal(tooLong.statusCode, 400);
    assert.equal(tooLong.json().NeutronError.type, 'HTTPBadRequest');
    const unknown = await app.inject({ method: 'PUT', url: `/v2.0/storage/boxes/${BOX}/add_label`, headers: as('p1'), payload: { colour: 'red' } });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().NeutronError.message, /Unrecognized attribute\(s\) 'colour'/);
    const post = await app.inject({ method: 'POST', url: `/v2.0/storage/boxes/${BOX}/add_label`, headers: as('p1'), payload: { label: 'red' } });
    assert.equal(post.statusCode, 405);
    const other = await app.inject({ method: 'PUT', url: `/v2.0/storage/boxes/${BOX}/add_label`, headers: as('p2'), payload: { label: 'red' } });
    assert.equal(other.statusCode, 403);
    assert.equal(other.json().NeutronError.type, 'PolicyNotAuthorized');
    const missing = await app.inject({ method: 'PUT', url: '/v2.0/storage/boxes/nope/add_label', headers: as('p1'), payload: { label: 'red' } });
    assert.equal(missing.statusCode, 404);
  });

  it('a nested collection is served per parent: create, list, show, update and delete', async () => {
    const base = `/v2.0/storage/boxes/${BOX}/items`;
    const created = await app.inject({ method: 'POST', url: base, headers: as('p1'), payload: { item: { weight: 3 } } });
    assert.equal(created.statusCode, 201, created.body);
    const item = created.json().item as { id: string; weight: number };
    assert.equal(item.weight, 3);

    const listed = await app.inject({ method: 'GET', url: base, headers: as('p1') });
    assert.deepEqual((listed.json().items as { id: string }[]).map((i) => i.id), [item.id]);
    const elsewhere = await app.inject({ method: 'GET', url: '/v2.0/storage/boxes/another/items', headers: as('p1') });
    assert.deepEqual(elsewhere.json().items, []);

    const updated = await app.inject({ method: 'PUT', url: `${base}/${item.id}`, headers: as('p1'), payload: { item: { weight: 4 } } });
    assert.equal(updated.statusCode, 400, 'weight is not PUT-able');
    const shown = await app.inject({ method: 'GET', url: `${base}/${item.id}`, headers: as('p1') });
    assert.equal(shown.json().item.weight, 3);
    const bad = await app.inject({ method: 'POST', url: base, headers: as('p1'), payload: { item: { weight: -1 } } });
    assert.equal(bad.statusCode, 400);
    const deleted = await app.inject({ method: 'DELETE', url: `${base}/${item.id}`, headers: as('p1') });
    assert.equal(deleted.statusCode, 204);
  });
});

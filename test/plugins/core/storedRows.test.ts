/** What a declaration says about storage: the derived table spec, row conversions, and the start-up check that every filter is served. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkServed, DeclarationMismatch, storedRows } from '../../../src/plugins/core/storedRows.js';
import { composeApi } from '../../../src/resources/compose.js';
import { coreExtensions, coreResources } from '../../../src/resources/index.js';
import type { ResourceDecl } from '../../../src/resources/types.js';

const api = composeApi(coreResources, coreExtensions);

const gadgets = {
  collection: 'gadgets',
  member: 'gadget',
  table: 'gadgets',
  attributes: {
    id: { type: { kind: 'uuid' }, filter: true, sort: true, column: 'id' },
    enabled: { type: { kind: 'boolean' }, post: true, filter: true, column: 'is_enabled' },
    profile: { type: { kind: 'dict' }, post: true, column: 'profile_json' },
    tenant_id: { type: { kind: 'string' }, post: true, filter: true, column: 'project_id' },
    size: { type: { kind: 'integer' }, filter: 'plugin' },
  },
} as const satisfies ResourceDecl;

describe('storedRows', () => {
  it('derives the columns list queries use, with project_id for tenant_id and booleans marked', () => {
    const { spec } = storedRows(gadgets);
    assert.equal(spec.table, 'gadgets');
    assert.deepEqual(spec.columns, {
      id: { column: 'id' },
      enabled: { column: 'is_enabled', bool: true },
      profile: { column: 'profile_json' },
      tenant_id: { column: 'project_id' },
      project_id: { column: 'project_id' },
    });
  });

  it('converts rows to attributes (one literal shape, computed ones undefined) and attributes to columns', () => {
    const rows = storedRows(gadgets);
    assert.deepEqual(rows.toObject({ id: 'g1', is_enabled: 1, profile_json: '{"a":1}', project_id: 'p', other: 'x' }), {
      id: 'g1',
      enabled: true,
      profile: { a: 1 },
      tenant_id: 'p',
      // Not stored: the plugin fills it in.
      size: undefined,
    });
    assert.deepEqual(rows.toColumns({ enabled: false, profile: { b: 2 }, unknown: 1 }), { is_enabled: 0, profile_json: '{"b":2}' });
  });

  it("the port's binding attributes come from the extension's columns", () => {
    const row = { binding_host_id: 'h', binding_vnic_type: 'normal', binding_profile: '{}', binding_vif_details: '{"port_filter":true}', port_security_enabled: 0 };
    const port = storedRows(api.resource('ports')).toObject(row);
    assert.equal(port['binding:host_id'], 'h');
    assert.deepEqual(port['binding:profile'], {});
    assert.deepEqual(port['binding:vif_details'], { port_filter: true });
    assert.equal(port.port_security_enabled, false);
  });
});

describe('checkServed', () => {
  it('accepts a declaration whose filters all have a column or a plugin condition', () => {
    assert.doesNotThrow(() => checkServed(gadgets, new Map([['size', () => (eb) => eb.lit(true)]])));
  });

  it('refuses a plugin filter nobody serves, and a filter or sort key without a column, naming each', () => {
    const broken = {
      ...gadgets,
      attributes: { ...gadgets.attributes, color: { type: { kind: 'string' }, filter: true, sort: true } },
    } as const satisfies ResourceDecl;
    assert.throws(
      () => checkServed(broken, new Map()),
      (err: unknown) =>
        err instanceof DeclarationMismatch &&
        err.message === 'gadgets: size is a plugin filter no plugin serves; color is a filter but has no column; color is a sort key but has no column',
    );
  });

  it('every core collection names the table and columns of its filters', () => {
    for (const resource of api.resources.values()) {
      const pluginFilters = new Map(Object.entries(resource.attributes).filter(([, a]) => a.filter === 'plugin').map(([n]) => [n, () => () => true as never]));
      assert.doesNotThrow(() => checkServed(resource, pluginFilters), resource.collection);
    }
  });
});

/**
 * What a declaration says about storage, turned into the pieces plugins use:
 * the table spec that list queries filter and sort on, and the conversions
 * between a row and an object's stored attributes (a boolean is 0/1, a
 * dict is JSON text). Built once per composed resource.
 */
import type { AttrDecl, ResourceDecl } from '../../resources/types.js';
import type { ApiObject } from '../collection.js';
import type { ColumnSpec, FilterCondition, TableSpec } from './listRows.js';

type Row = Readonly<Record<string, unknown>>;

interface StoredAttribute {
  readonly name: string;
  readonly column: string;
  readonly kind: 'plain' | 'bool' | 'json';
}

export interface StoredRows {
  readonly spec: TableSpec;
  /** The stored attributes of a row, as the API shows them. */
  toObject(row: Row): ApiObject;
  /** The columns for the stored attributes present in `values` (a create's item, an update's changes). */
  toColumns(values: ApiObject): Record<string, unknown>;
}

/** Most stored dicts are empty: they share one frozen value instead of one object per row. */
const EMPTY_OBJECT = Object.freeze({});
const parseJson = (text: unknown): unknown => (text === '{}' ? EMPTY_OBJECT : JSON.parse(String(text)));

const kindOf = (decl: AttrDecl): StoredAttribute['kind'] =>
  decl.type.kind === 'boolean' ? 'bool' : decl.type.kind === 'dict' || decl.type.kind === 'list' ? 'json' : 'plain';

const cache = new WeakMap<ResourceDecl, StoredRows>();

export function storedRows(resource: ResourceDecl): StoredRows {
  const cached = cache.get(resource);
  if (cached) return cached;
  const stored: StoredAttribute[] = Object.entries(resource.attributes)
    .filter((entry): entry is [string, AttrDecl & { column: string }] => entry[1].column !== undefined)
    .map(([name, decl]) => ({ name, column: decl.column, kind: kindOf(decl) }));
  const columns: Record<string, ColumnSpec> = {};
  for (const a of stored) columns[a.name] = { column: a.column, ...(a.kind === 'bool' ? { bool: true } : {}) };
  // tenant_id and project_id are one attribute under two names; list queries speak of project_id.
  if (columns.tenant_id && !columns.project_id) columns.project_id = columns.tenant_id;
  const table = resource.table ?? '';
  const rows: StoredRows = {
    spec: { table, columns },
    toObject: compileToObject(resource, stored),
    toColumns(values) {
      const out: Record<string, unknown> = {};
      for (const a of stored) {
        if (!(a.name in values)) continue;
        const value = values[a.name];
        out[a.column] = a.kind === 'bool' ? (value ? 1 : 0) : a.kind === 'json' ? JSON.stringify(value ?? {}) : value;
      }
      return out;
    },
  };
  cache.set(resource, rows);
  return rows;
}

/**
 * The row-to-object function of one resource, generated once from its
 * declaration as a single object literal: every object of a list then has
 * the same shape from birth, which keeps a 10 000-port list several times
 * faster to build and to serialise than objects filled key by key (V8 turns
 * those into dictionaries). Visible attributes the plugin computes start as
 * `undefined` (JSON leaves them out) so that setting them keeps the shape.
 * Names and columns come from declarations, and are quoted with
 * JSON.stringify.
 */
function compileToObject(resource: ResourceDecl, stored: readonly StoredAttribute[]): (row: Row) => ApiObject {
  const storedByName = new Map(stored.map((a) => [a.name, a]));
  const entries = Object.entries(resource.attributes)
    .filter(([name, decl]) => decl.visible !== false || storedByName.has(name))
    .map(([name]) => {
      const a = storedByName.get(name);
      const key = JSON.stringify(name);
      if (a === undefined) return `${key}: undefined`;
      const value = `row[${JSON.stringify(a.column)}]`;
      if (a.kind === 'bool') return `${key}: ${value} === 1 || ${value} === true`;
      if (a.kind === 'json') return `${key}: parseJson(${value})`;
      return `${key}: ${value}`;
    });
  const factory = new Function('parseJson', `return function toObject(row) { return { ${entries.join(', ')} }; };`) as (
    parse: typeof parseJson,
  ) => (row: Row) => ApiObject;
  return factory(parseJson);
}

/** A declaration that contradicts how its plugin serves it: found when the server starts, not by a request. */
export class DeclarationMismatch extends Error {}

/**
 * Every filter and sort key the declaration offers must be served: a
 * `filter: true` or `sort: true` attribute by a column, a `filter: 'plugin'`
 * one by a condition the plugin registered.
 */
export function checkServed(resource: ResourceDecl, pluginFilters: ReadonlyMap<string, FilterCondition>): void {
  const problems: string[] = [];
  const has = (name: string): boolean => resource.attributes[name]?.column !== undefined || (name === 'project_id' && resource.attributes.tenant_id?.column !== undefined);
  for (const [name, decl] of Object.entries(resource.attributes)) {
    if (decl.filter === true && !has(name)) problems.push(`${name} is a filter but has no column`);
    if (decl.filter === 'plugin' && !pluginFilters.has(name)) problems.push(`${name} is a plugin filter no plugin serves`);
    if (decl.sort === true && !has(name)) problems.push(`${name} is a sort key but has no column`);
    if (decl.column !== undefined && resource.table === undefined) problems.push(`${name} names a column but the resource names no table`);
  }
  if (problems.length > 0) throw new DeclarationMismatch(`${resource.collection}: ${problems.join('; ')}`);
}

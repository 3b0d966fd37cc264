/**
 * Parsing of a list request's query string (neutron-api.md §2; upstream
 * neutron/api/api_common.py get_filters_from_dict, get_sorts,
 * get_limit_and_marker and the pecan query-parameters hook). The checks run
 * in upstream's order: filters, then limit, then sorting.
 */
import { BadRequest, InvalidInput, NeutronError } from '../common/errors.js';
import type { AttrDecl, ResourceDecl } from '../resources/types.js';
import { pyRepr } from './pyFormat.js';
import type { SortKey, TagFilters } from '../plugins/core/listRows.js';
import { attributesOf } from './resourceAttributes.js';
import { convertFilterValue, MAX_STORED_INTEGER, storedType } from './validate.js';

export interface ListQueryOptions {
  /** `pagination_max_limit`: caps `limit` when > 0 (and replaces `limit=0`); -1 = no cap. */
  readonly paginationMaxLimit: number;
  /** `filter_validation`: unknown filter keys are 400 rather than ignored. */
  readonly filterValidation: boolean;
}

export interface ListQuery {
  /**
   * Attribute -> accepted values (OR within a key, AND across keys), converted
   * by the attribute's type (`true`, numbers, lower-case MACs). `tenant_id`
   * is reported as `project_id`. An empty value asks for the empty string (empty-string-filtering).
   */
  readonly filters: Map<string, unknown[]>;
  /** `fields=`: the known names asked for, in order; undefined when not asked (all fields). */
  readonly fields: string[] | undefined;
  /** Requested order (`tenant_id` reported as `project_id`); the plugin appends `id` when paginating. */
  readonly sorts: SortKey[];
  /** Page size after the `pagination_max_limit` cap; undefined = no pagination. */
  readonly limit: number | undefined;
  /** Id of the last item seen; only set when paginating. */
  readonly marker: string | undefined;
  /** `page_reverse=true`: the page before the marker; only set when paginating. */
  readonly pageReverse: boolean;
  readonly tagFilters: TagFilters;
  /** `changed_since`, normalised to Neutron's timestamp form `YYYY-MM-DDTHH:MM:SSZ` (UTC). */
  readonly changedSince: string | undefined;
  /** A filter no stored object can match (an integer beyond its column's range): the answer is an empty list. */
  readonly matchesNothing: boolean;
}

/** Query keys that are never filters. */
const NOT_FILTERS = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

const TAG_KEYS: Readonly<Record<string, keyof TagFilters>> = {
  tags: 'tags',
  'tags-any': 'tagsAny',
  'not-tags': 'notTags',
  'not-tags-any': 'notTagsAny',
};

/** neutron-lib's BadRequest: type `BadRequest` (not webob's HTTPBadRequest). */
export class ResourceBadRequest extends NeutronError {
  constructor(resource: string, message: string) {
    super(400, 'BadRequest', `Bad ${resource} request: ${message}.`);
  }
}

export function parseListQuery(
  resource: ResourceDecl,
  query: ReadonlyArray<readonly [string, string]>,
  options: ListQueryOptions,
): ListQuery {
  const params = groupPairs(query);
  const fields = parseFields(resource, params.get('fields'));
  const { filters, tagFilters, changedSince, matchesNothing } = parseFilters(resource, params, options);
  const limit = parseLimit(params.get('limit'), options.paginationMaxLimit);
  const sorts = parseSorts(resource, params.get('sort_key') ?? [], params.get('sort_dir') ?? []);
  const marker = limit === undefined ? undefined : last(params.get('marker')) || undefined;
  const pageReverse = limit !== undefined && last(params.get('page_reverse'))?.toLowerCase() === 'true';
  return { filters, fields, sorts, limit, marker, pageReverse, tagFilters, changedSince, matchesNothing };
}

/** Key -> values, keys in order of first appearance, repeats kept. */
function groupPairs(query: ReadonlyArray<readonly [string, string]>): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [key, value] of query) {
    const values = params.get(key);
    if (values) values.push(value);
    else params.set(key, [value]);
  }
  return params;
}

/** Like webob's `GET.get(key)`: the last value given. */
function last(values: readonly string[] | undefined): string | undefined {
  return values?.[values.length - 1];
}

function parseFields(resource: ResourceDecl, values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const attrs = attributesOf(resource);
  return [...new Set(values.filter((v) => attrs.has(v)))];
}

interface ParsedFilters {
  filters: Map<string, unknown[]>;
  tagFilters: TagFilters;
  changedSince: string | undefined;
  matchesNothing: boolean;
}

function parseFilters(
  resource: ResourceDecl,
  params: ReadonlyMap<string, readonly string[]>,
  options: ListQueryOptions,
): ParsedFilters {
  const attrs = attributesOf(resource);
  const filters = new Map<string, unknown[]>();
  const tagFilters: { -readonly [K in keyof TagFilters]: string[] } = {};
  let changedSince: string | undefined;
  let matchesNothing = false;
  const invalid: string[] = [];
  const projectKeys = new Set<string>();

  for (const [key, all] of params) {
    if (NOT_FILTERS.has(key)) continue;
    // empty-string-filtering: `?name=` asks for an empty name, as every other value is asked for
    // (upstream keeps "" and converts it: `?shared=` is a 400, `?tags=` wants the tag "").
    const values = all;
    const tagKey = TAG_KEYS[key];
    if (tagKey !== undefined && (resource.taggable === true || attrs.has('tags'))) {
      const tags = values.flatMap((v) => v.split(','));
      if (tags.length > 0) tagFilters[tagKey] = [...new Set([...(tagFilters[tagKey] ?? []), ...tags])];
      continue;
    }
    // Comes with standard-attr-timestamp, i.e. with `updated_at`.
    if (key === 'changed_since' && attrs.has('updated_at')) {
      const first = values[0];
      if (first !== undefined) changedSince = parseChangedSince(first);
      continue;
    }
    const decl = attrs.get(key);
    // Without filter validation, stored attributes still filter (as upstream
    // does on columns); other names are ignored.
    const usable = isFilter(decl) || (!options.filterValidation && decl?.column !== undefined);
    if (!usable || decl === undefined) {
      if (options.filterValidation) invalid.push(key);
      continue;
    }
    let name = key;
    if (key === 'tenant_id' || key === 'project_id') {
      projectKeys.add(key);
      name = 'project_id';
    }
    let converted = values.map((v) => convertFilterValue(decl.type, v));
    // A stored integer never lies outside its column's range: such a value matches nothing (and PostgreSQL
    // would refuse it as a parameter of the column's type).
    if (storedType(decl) !== decl.type) {
      const inRange = converted.filter((v) => typeof v !== 'number' || Math.abs(v) <= MAX_STORED_INTEGER);
      if (inRange.length === 0 && converted.length > 0) matchesNothing = true;
      converted = inRange;
    }
    if (converted.length > 0) filters.set(name, [...(filters.get(name) ?? []), ...converted]);
  }
  if (invalid.length > 0) throw new BadRequest(`${pyRepr(invalid)} is invalid attribute for filtering`);
  if (projectKeys.size > 1) {
    throw new BadRequest("Filtering on both 'project_id' and 'tenant_id' is not supported; use 'project_id'");
  }
  return { filters, tagFilters, changedSince, matchesNothing };
}

const isFilter = (decl: AttrDecl | undefined): boolean => decl?.filter === true || decl?.filter === 'plugin';

/** get_limit_and_marker: an integer >= 0; 0 means no pagination unless a maximum is configured. */
function parseLimit(values: readonly string[] | undefined, maxLimit: number): number | undefined {
  const raw = last(values);
  let limit = 0;
  if (raw !== undefined) {
    const parsed = /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < 0) {
      const shown = Number.isSafeInteger(parsed) ? String(parsed) : raw;
      throw new ResourceBadRequest('limit', `Limit must be an integer 0 or greater and not '${shown}'`);
    }
    limit = parsed;
  }
  if (maxLimit > 0) limit = Math.min(maxLimit, limit) || maxLimit;
  return limit > 0 ? limit : undefined;
}

/** get_sorts: paired `sort_key`/`sort_dir` lists (empty values ignored). */
function parseSorts(resource: ResourceDecl, keyValues: readonly string[], dirValues: readonly string[]): SortKey[] {
  const keys = keyValues.filter((k) => k !== '');
  const dirs = dirValues.filter((d) => d !== '');
  if (keys.length !== dirs.length) throw new BadRequest('The number of sort_keys and sort_dirs must be same');
  const attrs = attributesOf(resource);
  const absent = keys.filter((k) => attrs.get(k)?.sort !== true);
  if (absent.length > 0) throw new BadRequest(`${pyRepr(absent)} is invalid attribute for sort_keys`);
  const badDirs = dirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length > 0) {
    throw new BadRequest(`${pyRepr(badDirs)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
  }
  return keys.map((k, i) => ({ key: k === 'tenant_id' ? 'project_id' : k, dir: dirs[i] === 'desc' ? 'desc' : 'asc' }));
}

const ISO_8601 =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * `changed_since`: an ISO 8601 date or date-time (UTC when no offset is
 * given), normalised to `YYYY-MM-DDTHH:MM:SSZ`. Fractions of a second round
 * up, so comparing with whole-second timestamps keeps ">=" exact.
 */
export function parseChangedSince(value: string): string {
  const fail = () =>
    new InvalidInput('The input changed_since must be in the following format: YYYY-MM-DDTHH:MM:SSZ');
  const m = ISO_8601.exec(value.trim());
  if (!m) throw fail();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const parts = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = parts;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    throw fail();
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    const zh = Number(zm?.[2] ?? '0');
    const zmin = Number(zm?.[3] ?? '0');
    if (zh > 23 || zmin > 59) throw fail();
    offsetMinutes = (zm?.[1] === '-' ? -1 : 1) * (zh * 60 + zmin);
  }
  const roundUp = /[1-9]/.test(frac) ? 1000 : 0;
  const utc = new Date(ms - offsetMinutes * 60_000 + roundUp);
  return utc.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

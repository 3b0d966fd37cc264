/**
 * The request body pipeline for POST and PUT, in the order of neutron-api.md
 * §1.3 (Controller.prepare_request_body in neutron/api/v2/base.py and the
 * pecan body-validation hook), so that error types and messages match:
 *
 *   1. a JSON object holding the singular key (or, for POST, the bulk key)
 *   2. tenant_id / project_id unified, checked and filled from the token
 *   3. unknown keys refused
 *   4. POST: non-POST-able keys, missing required keys, then defaults;
 *      PUT: non-PUT-able keys
 *   5. each attribute the caller gave converted, then validated
 *
 * Steps 1-5 raise HTTPBadRequest (converter failures InvalidInput). Every step
 * returns a new object; the request body is never modified. validateCreate /
 * validateUpdate stop there and say which attributes the caller set
 * explicitly, for the policy checks of api/policy (step 7); checkCreate /
 * checkUpdate, for callers outside the HTTP controller, also check the
 * built-in `create_<member>:<attr>` / `update_<member>:<attr>` rules (403).
 */
import type { RequestContext } from '../common/context.js';
import { BadRequest } from '../common/errors.js';
import type { AttrDecl, ResourceDecl } from '../resources/types.js';
import { enforceAttributeRules } from './policy/builtin.js';
import { isJsonObject, jsonClone, jsonEqual, type JsonObject } from './pyFormat.js';
import { attributesOf, hasProject } from './resourceAttributes.js';
import { convertAttribute } from './validate.js';

export interface CreateRequest {
  /** True for `{"<collection>": [...]}`; the response is then a list too. */
  readonly bulk: boolean;
  /** One checked resource dict per item (exactly one when not bulk). */
  readonly items: readonly JsonObject[];
}

export interface CreateOptions {
  /** Whether the collection accepts bulk creation (default true). */
  readonly allowBulk?: boolean;
}

/** One checked resource dict, and what the caller set in it. */
export interface CheckedItem {
  readonly value: JsonObject;
  /**
   * The attributes the caller set explicitly, in declaration order, as
   * Neutron's policy engine counts them (_is_attribute_explicitly_set): on
   * POST given with a value other than the attribute's default (so a
   * non-admin may send `shared: false`), on PUT given at all.
   */
  readonly explicit: readonly string[];
}

/**
 * Validates a POST body: `{"network": {...}}` or bulk `{"networks": [{...}, ...]}`
 * (bulk items may also be wrapped, `[{"network": {...}}]`). Returns new dicts
 * with defaults filled and both tenant_id and project_id set.
 */
export function validateCreate(
  resource: ResourceDecl,
  body: unknown,
  ctx: RequestContext,
  options: CreateOptions = {},
): { readonly bulk: boolean; readonly items: readonly CheckedItem[] } {
  const { bulk, items } = extractResources(resource, body, options.allowBulk ?? true);
  return { bulk, items: items.map((item) => checkOne(resource, item, ctx, 'create')) };
}

/** Validates a PUT body `{"network": {changed keys}}`; the value holds the checked changes only. */
export function validateUpdate(resource: ResourceDecl, body: unknown, ctx: RequestContext): CheckedItem {
  const { items } = extractResources(resource, body, false);
  const [item] = items;
  if (item === undefined) throw new BadRequest(`Unable to find '${resource.member}' in request body`);
  return checkOne(resource, item, ctx, 'update');
}

/** validateCreate, then the built-in attribute rules (403 PolicyNotAuthorized naming the rule). */
export function checkCreate(
  resource: ResourceDecl,
  body: unknown,
  ctx: RequestContext,
  options: CreateOptions = {},
): CreateRequest {
  const { bulk, items } = validateCreate(resource, body, ctx, options);
  for (const item of items) enforceAttributeRules(resource, 'create', item.value, item.explicit, ctx);
  return { bulk, items: items.map((item) => item.value) };
}

/** validateUpdate, then the built-in attribute rules; returns the checked changes only. */
export function checkUpdate(resource: ResourceDecl, body: unknown, ctx: RequestContext): JsonObject {
  const item = validateUpdate(resource, body, ctx);
  enforceAttributeRules(resource, 'update', item.value, item.explicit, ctx);
  return item.value;
}

type Operation = 'create' | 'update';

function checkOne(resource: ResourceDecl, item: JsonObject, ctx: RequestContext, op: Operation): CheckedItem {
  const unified = unifyProject(item, ctx);
  // What the caller gave (tenant_id and project_id completing each other):
  // only these are converted and policy-checked, not what we fill in.
  const given = new Set(Object.keys(unified));
  let out = op === 'create' ? fillProject(resource, unified, ctx) : unified;
  rejectUnknown(resource, out);
  if (op === 'create') {
    checkPostKeys(resource, out);
    out = fillDefaults(resource, out);
  } else {
    checkPutKeys(resource, out);
  }
  out = convertGiven(resource, out, given);
  return { value: out, explicit: explicitAttributes(resource, out, given, op) };
}

/** Step 1: the resource dicts inside the body (not yet copied). */
function extractResources(
  resource: ResourceDecl,
  body: unknown,
  allowBulk: boolean,
): { bulk: boolean; items: JsonObject[] } {
  const { member } = resource;
  const notFound = () => new BadRequest(`Unable to find '${member}' in request body`);
  const invalidObject = () => new BadRequest(`Object '${member}' contains invalid data`);
  const asResource = (value: unknown): JsonObject => {
    if (value === null || value === undefined) throw notFound();
    if (!isJsonObject(value)) throw invalidObject();
    return value;
  };

  if (body === undefined || body === '') throw notFound();
  if (!isJsonObject(body)) throw new BadRequest('Body contains invalid data');
  const bulkKey = bulkKeyOf(resource);
  if (bulkKey !== member && Object.hasOwn(body, bulkKey)) {
    if (!allowBulk) throw new BadRequest('Bulk operation not supported');
    const list = body[bulkKey];
    if (isPythonFalsy(list)) throw new BadRequest('Resources required');
    if (!Array.isArray(list)) {
      // Upstream iterates whatever it got: a string or an object yields
      // non-dict items, anything else is not iterable at all.
      if (typeof list === 'string' || isJsonObject(list)) throw invalidObject();
      throw new BadRequest('Body contains invalid data');
    }
    const items = list.map((entry: unknown) =>
      asResource(isJsonObject(entry) && Object.hasOwn(entry, member) ? entry[member] : entry),
    );
    return { bulk: true, items };
  }
  return { bulk: false, items: [asResource(body[member])] };
}

/** The body key of a bulk request: the collection with underscores (`security_groups`). */
export function bulkKeyOf(resource: ResourceDecl): string {
  // A nested collection is named by its path under the parent (a flavor's `service_profiles`); its collection name only keeps it apart.
  const name = resource.parent !== undefined && resource.path !== undefined ? (resource.path.split('/').pop() ?? resource.path) : resource.collection;
  return name.replaceAll('-', '_');
}

function isPythonFalsy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isJsonObject(value) && Object.keys(value).length === 0;
}

/**
 * Step 2 (populate_project_info + _validate_privileges): either key implies
 * the other; different values, or a caller other than admin naming another
 * project, are 400s.
 */
function unifyProject(item: JsonObject, ctx: RequestContext): JsonObject {
  const out = { ...item };
  const hasTenant = Object.hasOwn(out, 'tenant_id');
  const hasProjectId = Object.hasOwn(out, 'project_id');
  if (hasTenant && !hasProjectId) out.project_id = out.tenant_id;
  if (hasProjectId && !hasTenant) out.tenant_id = out.project_id;
  if (!jsonEqual(out.project_id, out.tenant_id)) throw new BadRequest("'project_id' and 'tenant_id' do not match");
  if (Object.hasOwn(out, 'project_id') && out.project_id !== ctx.projectId && !ctx.isAdmin) {
    throw new BadRequest(
      "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user.",
    );
  }
  return out;
}

/** Step 2, POST: a project-owned resource not naming its project gets the caller's. */
function fillProject(resource: ResourceDecl, item: JsonObject, ctx: RequestContext): JsonObject {
  if (!hasProject(resource) || Object.hasOwn(item, 'project_id')) return item;
  if (ctx.projectId === '') {
    throw new BadRequest('Running without keystone AuthN requires that project_id is specified');
  }
  return { ...item, tenant_id: ctx.projectId, project_id: ctx.projectId };
}

/** Step 3 (verify_attributes). */
function rejectUnknown(resource: ResourceDecl, item: JsonObject): void {
  const attrs = attributesOf(resource);
  const unknown = Object.keys(item).filter((k) => !attrs.has(k));
  if (unknown.length > 0) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

/** Step 4, POST: keys that cannot be set, then keys that must be. */
function checkPostKeys(resource: ResourceDecl, item: JsonObject): void {
  const attrs = attributesOf(resource);
  for (const [name, decl] of attrs) {
    if (Object.hasOwn(item, name) && decl.post !== true) {
      throw new BadRequest(`Attribute '${name}' not allowed in POST`);
    }
  }
  for (const [name, decl] of attrs) {
    if (decl.post === true && decl.required === true && !Object.hasOwn(item, name)) {
      throw new BadRequest(`Failed to parse request. Required attribute '${name}' not specified`);
    }
  }
}

/** Step 4, POST: defaults for what the caller left out (a function default is called each time). */
function fillDefaults(resource: ResourceDecl, item: JsonObject): JsonObject {
  const out = { ...item };
  for (const [name, decl] of attributesOf(resource)) {
    if (decl.post === true && decl.default !== undefined && !Object.hasOwn(out, name)) {
      out[name] = defaultValue(decl);
    }
  }
  return out;
}

function defaultValue(decl: AttrDecl): unknown {
  const d: unknown = decl.default;
  return typeof d === 'function' ? (d as () => unknown)() : jsonClone(d);
}

/** Step 4, PUT. */
function checkPutKeys(resource: ResourceDecl, item: JsonObject): void {
  for (const [name, decl] of attributesOf(resource)) {
    if (Object.hasOwn(item, name) && decl.put !== true) {
      throw new BadRequest(`Cannot update read-only attribute ${name}`);
    }
  }
}

/** Step 5 (convert_values), in declaration order. */
function convertGiven(resource: ResourceDecl, item: JsonObject, given: ReadonlySet<string>): JsonObject {
  const out = { ...item };
  for (const [name, decl] of attributesOf(resource)) {
    if (given.has(name)) out[name] = convertAttribute(name, decl, item[name]);
  }
  return out;
}

/** What the caller set explicitly (CheckedItem.explicit). */
function explicitAttributes(resource: ResourceDecl, item: JsonObject, given: ReadonlySet<string>, op: Operation): string[] {
  return [...attributesOf(resource)]
    .filter(([name, decl]) => given.has(name) && !(op === 'create' && decl.default !== undefined && jsonEqual(item[name], defaultValue(decl))))
    .map(([name]) => name);
}

/**
 * The OpenAPI 3.1 document of this server (GET /v2.0/openapi.json), derived
 * from the composed declarations: only the collections, attributes and
 * extensions that are loaded appear, so an extension changes it.
 *
 * What it describes:
 * - every collection of the generic controller (api/collectionRoutes.ts) at
 *   `/v2.0/<path>` or, nested, `/v2.0/<parent path>/{<parent member>_id}/<path>`:
 *   list (filters from `filter`, `sort_key` from `sort`, `fields`, pagination,
 *   tag filters), show, create (single, and bulk when allowed; only when some
 *   attribute is POST-able), update (only when some attribute is PUT-able),
 *   delete; member actions at `.../{id}/<action>`;
 * - the tags sub-resource of taggable collections (api/tagRoutes.ts);
 * - the discovery documents, /v2.0/extensions, this document, and the quotas
 *   (api/quotaRoutes.ts) when the `quotas` extension is loaded.
 * The `.json` suffixes and HEAD are served but not listed.
 *
 * Schemas (JSON Schema 2020-12): `<Member>` is an object as responses show it
 * (visible attributes, none required since `fields=` selects), `<Member>Create`
 * and `<Member>Update` the POST and PUT bodies inside their envelopes
 * (POST-able / PUT-able attributes, `required` ones required, unknown keys
 * refused as the server does), `NeutronError` the error body.
 *
 * operationIds (names split on `-`, `_`, `/`, `:` and camel-cased):
 *   GET    /v2.0/<collection>            list<Collection>       listNetworks, listSecurityGroupRules
 *   POST   /v2.0/<collection>            create<Member>         createNetwork
 *   GET    /v2.0/<collection>/{id}       show<Member>           showPort
 *   PUT    /v2.0/<collection>/{id}       update<Member>         updateSubnet
 *   DELETE /v2.0/<collection>/{id}       delete<Member>         deleteSecurityGroup
 *   <method> .../{id}/<action>           <member><Action>       routerAddRouterInterface, trunkGetSubports
 *   .../{id}/tags                        list<Member>Tags, replace<Member>Tags, add<Member>Tags, deleteAll<Member>Tags
 *   .../{id}/tags/{tag}                  check<Member>Tag, add<Member>Tag, delete<Member>Tag
 * A nested collection whose names are already taken is prefixed with its
 * parent's member (listPolicyBandwidthLimitRules).
 */
import { QUOTA_RESOURCES, quotaSet } from '../resources/extensions/quotas.js';
import type { ComposedApi } from '../resources/compose.js';
import type { ActionDecl, AttrDecl, AttrType, FieldDecl, ResourceDecl } from '../resources/types.js';
import { bulkKeyOf } from './body.js';
import { attributesOf } from './resourceAttributes.js';

/** A JSON Schema (2020-12) object. */
export type Schema = { [keyword: string]: unknown };

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required?: boolean;
  readonly description?: string;
  readonly schema: Schema;
  readonly style?: 'form' | 'simple';
  readonly explode?: boolean;
}

type Ref = { readonly $ref: string };

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly (Parameter | Ref)[];
  readonly requestBody?: { readonly required: boolean; readonly content: { readonly 'application/json': { readonly schema: Schema } } };
  readonly responses: Readonly<Record<string, unknown>>;
  readonly security?: readonly Record<string, readonly string[]>[];
}

export type PathItem = { -readonly [method in 'get' | 'put' | 'post' | 'delete']?: Operation };

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly jsonSchemaDialect: string;
  readonly servers?: readonly { readonly url: string }[];
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, Schema>>;
    readonly parameters: Readonly<Record<string, Parameter>>;
    readonly responses: Readonly<Record<string, unknown>>;
    readonly securitySchemes: Readonly<Record<string, unknown>>;
  };
  readonly security: readonly Record<string, readonly string[]>[];
}

export interface OpenApiOptions {
  /** `allow_bulk`: whether POST accepts `{"<collection>": [...]}`. */
  readonly allowBulk: boolean;
  /** The collections the generic controller serves (those with a plugin); default: every composed collection. */
  readonly collections?: Iterable<string>;
}

/** `security-group-rules` -> ['security', 'group', 'rules']. */
const words = (name: string): string[] => name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
const pascal = (name: string): string => words(name).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
const camel = (name: string): string => {
  const p = pascal(name);
  return p.length === 0 ? p : p[0]!.toLowerCase() + p.slice(1);
};

/** An object schema; every key required unless told otherwise. */
function record(properties: Readonly<Record<string, Schema>>, required: readonly string[] = Object.keys(properties)): Schema {
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

/** A request body object: keys other than those listed are refused (400), as the server does. */
function closed(properties: Readonly<Record<string, Schema>>, required: readonly string[] = Object.keys(properties)): Schema {
  return { ...record(properties, required), additionalProperties: false };
}

const ref = (name: string): Ref => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const errorRef = (name: string): Ref => ({ $ref: `#/components/responses/${name}` });

/** The JSON Schema of one attribute type; `nullable` adds null. */
export function typeSchema(type: AttrType, nullable = false): Schema {
  const orNull = (t: string): string | string[] => (nullable ? [t, 'null'] : t);
  switch (type.kind) {
    case 'string':
      return { type: orNull('string'), ...(type.maxLength !== undefined ? { maxLength: type.maxLength } : {}) };
    case 'uuid':
      return { type: orNull('string'), format: 'uuid' };
    case 'boolean':
      return { type: orNull('boolean') };
    case 'integer':
      return {
        type: orNull('integer'),
        ...(type.min !== undefined ? { minimum: type.min } : {}),
        ...(type.max !== undefined ? { maximum: type.max } : {}),
      };
    case 'mac':
      return { type: orNull('string'), format: 'mac' };
    case 'ip':
      if (type.version === 4) return { type: orNull('string'), format: 'ipv4' };
      if (type.version === 6) return { type: orNull('string'), format: 'ipv6' };
      return { type: orNull('string'), anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
    case 'ip-or-cidr':
      return { type: orNull('string'), anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }, { format: 'cidr' }] };
    case 'cidr':
      return { type: orNull('string'), format: 'cidr' };
    case 'enum': {
      const kinds = new Set(type.values.map((v) => (typeof v === 'number' ? 'integer' : 'string')));
      const [only] = kinds;
      return {
        ...(kinds.size === 1 && only !== undefined ? { type: orNull(only) } : {}),
        enum: nullable ? [...type.values, null] : [...type.values],
      };
    }
    case 'list':
      return {
        type: orNull('array'),
        items: typeSchema(type.of),
        ...(type.unique === true ? { uniqueItems: true } : {}),
        ...(type.maxItems !== undefined ? { maxItems: type.maxItems } : {}),
      };
    case 'object': {
      const schema = objectSchema(type.fields, nullable);
      // dict_or_nodata: {} says "none" as null does, whatever the fields require (a router's external_gateway_info).
      return type.emptyIsNull === true ? { anyOf: [schema, { type: 'object', maxProperties: 0 }] } : schema;
    }
    case 'dict':
      return { type: orNull('object') };
    case 'dns-name':
      return { type: orNull('string'), maxLength: 255, description: type.fqdn === true ? 'A DNS domain name.' : 'A DNS host name.' };
    case 'any':
      return {};
    default: {
      const unknown: never = type;
      throw new Error(`no schema for attribute type ${JSON.stringify(unknown)}`);
    }
  }
}

function objectSchema(fields: Readonly<Record<string, FieldDecl>>, nullable: boolean): Schema {
  const required = Object.entries(fields)
    .filter(([, f]) => f.required === true)
    .map(([name]) => name);
  return {
    type: nullable ? ['object', 'null'] : 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, typeSchema(f.type, f.nullable === true)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** A declared default as a JSON value (a function is called for a fresh one), or undefined. */
function defaultOf(decl: AttrDecl): unknown {
  const value: unknown = typeof decl.default === 'function' ? (decl.default as () => unknown)() : decl.default;
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function attributeSchema(decl: AttrDecl, withDefault: boolean): Schema {
  const schema = typeSchema(decl.type, decl.nullable === true);
  const value = withDefault ? defaultOf(decl) : undefined;
  const notes = [
    decl.policy === 'admin' ? 'Only admins may set it.' : undefined,
    decl.adminOnlyVisible === true ? 'Shown to admins only.' : undefined,
  ].filter((n) => n !== undefined);
  return {
    ...schema,
    ...(value !== undefined ? { default: value } : {}),
    ...(notes.length > 0 ? { description: [schema['description'], ...notes].filter((n) => n !== undefined).join(' ') } : {}),
  };
}

function bodySchema(attributes: Iterable<readonly [string, AttrDecl]>, withDefaults: boolean): Schema {
  const entries = [...attributes];
  const required = entries.filter(([, d]) => d.required === true).map(([name]) => name);
  return closed(Object.fromEntries(entries.map(([name, d]) => [name, attributeSchema(d, withDefaults)])), required);
}

/** A query value of a filter: the attribute's scalar schema, a string for structured ones. */
function filterValueSchema(type: AttrType): Schema {
  if (type.kind === 'list' || type.kind === 'object' || type.kind === 'dict' || type.kind === 'any') return { type: 'string' };
  return typeSchema(type);
}

const pathParameter = (name: string, description?: string): Parameter => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  ...(description !== undefined ? { description } : {}),
});

const repeated = (name: string, items: Schema, description?: string): Parameter => ({
  name,
  in: 'query',
  required: false,
  schema: { type: 'array', items },
  style: 'form',
  explode: true,
  ...(description !== undefined ? { description } : {}),
});

const TAG_FILTERS: Readonly<Record<string, string>> = {
  tags: 'Objects with all these tags (comma-separated or repeated).',
  'tags-any': 'Objects with any of these tags.',
  'not-tags': 'Objects without all of these tags together.',
  'not-tags-any': 'Objects with none of these tags.',
};

/** Builds the document once; `servers` is added per request by the route. */
export function openApiDocument(api: ComposedApi, options: OpenApiOptions): OpenApiDocument {
  const builder = new DocumentBuilder(api, options);
  return builder.build();
}

class DocumentBuilder {
  private readonly schemas: Record<string, Schema> = {};
  private readonly paths: Record<string, PathItem> = {};
  private readonly operationIds = new Set<string>();
  private readonly tags: { name: string; description: string }[] = [];
  private readonly aliases: ReadonlySet<string>;

  constructor(
    private readonly api: ComposedApi,
    private readonly options: OpenApiOptions,
  ) {
    this.aliases = new Set(api.extensions.map((e) => e.alias));
  }

  build(): OpenApiDocument {
    this.discovery();
    const served = new Set(this.options.collections ?? this.api.resources.keys());
    for (const resource of this.api.resources.values()) {
      if (served.has(resource.collection)) this.collection(resource);
    }
    if (this.aliases.has('quotas')) this.quotas();
    return {
      openapi: '3.1.0',
      info: {
        title: 'OpenStack Networking API v2.0 (Nucleon)',
        version: '2.0',
        description:
          'The Neutron API v2.0 as this server serves it: only the loaded extensions and their attributes. ' +
          'Every /v2.0 request carries a Keystone token in X-Auth-Token (under auth_strategy = noauth, ' +
          'X-Project-Id and X-Roles name the caller instead). Paths also answer with a `.json` suffix.',
      },
      jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
      tags: this.tags,
      paths: this.paths,
      components: {
        schemas: { ...COMMON_SCHEMAS, ...this.schemas },
        parameters: COMMON_PARAMETERS,
        responses: ERROR_RESPONSES,
        securitySchemes: {
          keystone: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Auth-Token',
            description: 'A Keystone token (auth_strategy = keystone).',
          },
        },
      },
      security: [{ keystone: [] }],
    };
  }

  private operation(path: string, method: 'get' | 'put' | 'post' | 'delete', operation: Operation): void {
    if (this.operationIds.has(operation.operationId)) throw new Error(`operationId ${operation.operationId} used twice`);
    this.operationIds.add(operation.operationId);
    const item = (this.paths[path] ??= {});
    if (item[method]) throw new Error(`${method.toUpperCase()} ${path} described twice`);
    item[method] = operation;
  }

  private schema(name: string, schema: Schema): Ref {
    if (name in this.schemas || name in COMMON_SCHEMAS) throw new Error(`schema ${name} declared twice`);
    this.schemas[name] = schema;
    return ref(name);
  }

  private discovery(): void {
    this.tags.push({ name: 'discovery', description: 'API versions, core collections, extensions and this document.' });
    const tags = ['discovery'];
    const ok = (description: string, schema: Schema) => ({ '200': { description, ...json(schema) } });
    this.operation('/', 'get', {
      operationId: 'listApiVersions',
      summary: 'The API versions (no authentication).',
      tags,
      security: [],
      responses: ok('API versions', ref('Versions')),
    });
    this.operation('/v2.0', 'get', {
      operationId: 'listApiResources',
      summary: 'The core collections of API v2.0.',
      tags,
      responses: { ...ok('Core collections', ref('Resources')), '401': errorRef('Unauthorized') },
    });
    this.operation('/v2.0/extensions', 'get', {
      operationId: 'listExtensions',
      summary: 'The extensions this server implements.',
      tags,
      responses: {
        ...ok('Extensions', record({ extensions: { type: 'array', items: ref('Extension') } })),
        '401': errorRef('Unauthorized'),
      },
    });
    this.operation('/v2.0/extensions/{alias}', 'get', {
      operationId: 'showExtension',
      summary: 'One extension by alias.',
      tags,
      parameters: [pathParameter('alias')],
      responses: {
        ...ok('The extension', record({ extension: ref('Extension') })),
        '401': errorRef('Unauthorized'),
        '404': errorRef('NotFound'),
      },
    });
    this.operation('/v2.0/openapi.json', 'get', {
      operationId: 'showOpenApiDocument',
      summary: 'This document.',
      tags,
      responses: { ...ok('The OpenAPI 3.1 document', { type: 'object' }), '401': errorRef('Unauthorized') },
    });
  }

  /** `/v2.0/<path>`, or `/v2.0/<parent path>/{<parent member>_id>}/<path>`, with the parent's path parameters. */
  private locate(resource: ResourceDecl, seen: readonly string[] = []): { path: string; parameters: Parameter[] } {
    const own = resource.path ?? resource.collection;
    if (resource.parent === undefined) return { path: `/v2.0/${own}`, parameters: [] };
    const parent = this.api.resources.get(resource.parent);
    if (!parent) throw new Error(`${resource.collection}: unknown parent collection ${resource.parent}`);
    if (seen.includes(parent.collection)) throw new Error(`${resource.collection}: parents form a cycle`);
    const outer = this.locate(parent, [...seen, resource.collection]);
    const name = `${parent.member}_id`;
    return {
      path: `${outer.path}/{${name}}/${own}`,
      parameters: [...outer.parameters, pathParameter(name, `The ${parent.member}'s id.`)],
    };
  }

  /** A member's schema name, prefixed with the parent's member when another collection already has it (a flavor's service_profile bindings). */
  private schemaName(resource: ResourceDecl): string {
    const plain = pascal(resource.member);
    if (!(plain in this.schemas) || resource.parent === undefined) return plain;
    return `${pascal(this.api.resources.get(resource.parent)?.member ?? resource.parent)}${plain}`;
  }

  /** An operationId, prefixed with the parent's member when a sibling already has it. */
  private id(resource: ResourceDecl, verb: string, noun: string): string {
    const plain = `${verb}${pascal(noun)}`;
    if (!this.operationIds.has(plain) || resource.parent === undefined) return plain;
    const parent = this.api.resources.get(resource.parent);
    return `${verb}${pascal(parent?.member ?? resource.parent)}${pascal(noun)}`;
  }

  private collection(resource: ResourceDecl): void {
    const { path, parameters: parentParameters } = this.locate(resource);
    const Member = this.schemaName(resource);
    const tag = resource.collection;
    this.tags.push({ name: tag, description: `${resource.collection} (${path}).` });
    const attributes = [...attributesOf(resource)];
    const visible = Object.entries(resource.attributes).filter(([, d]) => d.visible !== false);
    const plural = bulkKeyOf(resource);
    const common = parentParameters.length > 0 ? { parameters: parentParameters } : {};
    const revisions = this.aliases.has('revision-if-match') && attributes.some(([name]) => name === 'revision_number');

    const memberRef = this.schema(Member, {
      type: 'object',
      description: `A ${resource.member} as responses show it (with \`fields=\`, only the fields asked for).`,
      properties: Object.fromEntries(visible.map(([name, d]) => [name, attributeSchema(d, false)])),
    });
    const one = record({ [resource.member]: memberRef });
    const idParameter = pathParameter('id', `The ${resource.member}'s ${resource.primaryKey ?? 'id'}.`);
    const fieldsParameter = repeated('fields', { type: 'string', enum: visible.map(([name]) => name) }, 'Return only these fields.');

    // list
    // `tags` filters as the tag filters do (api/listQuery.ts).
    const tagFilters = resource.taggable === true || attributes.some(([name]) => name === 'tags');
    const filters = attributes.filter(([name, d]) => d.filter !== undefined && d.filter !== false && !(tagFilters && name === 'tags'));
    const sortKeys = attributes.filter(([, d]) => d.sort === true).map(([name]) => name);
    const listParameters: (Parameter | Ref)[] = [
      ...parentParameters,
      ...filters.map(([name, d]) => repeated(name, filterValueSchema(d.type), 'Filter: any of these values.')),
      fieldsParameter,
    ];
    if (tagFilters) {
      listParameters.push(...Object.entries(TAG_FILTERS).map(([name, description]) => repeated(name, { type: 'string' }, description)));
    }
    if (attributes.some(([name]) => name === 'updated_at')) {
      listParameters.push({
        name: 'changed_since',
        in: 'query',
        schema: { type: 'string' },
        description: 'Changed since this ISO 8601 time (UTC).',
      });
    }
    if (sortKeys.length > 0) {
      listParameters.push(
        repeated('sort_key', { type: 'string', enum: sortKeys }, 'Sort keys, paired with sort_dir.'),
        repeated('sort_dir', { type: 'string', enum: ['asc', 'desc'] }, 'Sort directions, one per sort_key.'),
      );
    }
    listParameters.push(
      { $ref: '#/components/parameters/limit' },
      { $ref: '#/components/parameters/marker' },
      { $ref: '#/components/parameters/page_reverse' },
    );
    this.operation(path, 'get', {
      operationId: this.id(resource, 'list', resource.collection),
      summary: `List ${resource.collection}.`,
      tags: [tag],
      parameters: listParameters,
      responses: {
        '200': {
          description: `The ${resource.collection} the caller may see.`,
          ...json(record({ [plural]: { type: 'array', items: memberRef }, [`${plural}_links`]: ref('Links') }, [plural])),
        },
        ...errors('400', '401', '403', '404'),
      },
    });

    // create
    const postable = attributes.filter(([, d]) => d.post === true);
    if (postable.length > 0) {
      const createRef = this.schema(`${Member}Create`, bodySchema(postable, true));
      const single = closed({ [resource.member]: createRef });
      const bulk = closed({ [plural]: { type: 'array', items: createRef, minItems: 1 } });
      const bulkAllowed = this.options.allowBulk && resource.bulk !== false && plural !== resource.member;
      this.operation(path, 'post', {
        operationId: this.id(resource, 'create', resource.member),
        summary: bulkAllowed ? `Create a ${resource.member}, or several at once (all or nothing).` : `Create a ${resource.member}.`,
        tags: [tag],
        ...common,
        requestBody: { required: true, ...json(bulkAllowed ? { oneOf: [single, bulk] } : single) },
        responses: {
          '201': {
            description: bulkAllowed ? `The ${resource.member} created (a list for a bulk request).` : `The ${resource.member} created.`,
            ...json(
              bulkAllowed
                ? { oneOf: [one, record({ [plural]: { type: 'array', items: memberRef } })] }
                : one,
            ),
          },
          ...errors('400', '401', '403', '404', '409'),
        },
      });
    }

    // member
    const memberPath = `${path}/{id}`;
    this.operation(memberPath, 'get', {
      operationId: this.id(resource, 'show', resource.member),
      summary: `Show a ${resource.member}.`,
      tags: [tag],
      parameters: [...parentParameters, idParameter, fieldsParameter],
      responses: { '200': { description: `The ${resource.member}.`, ...json(one) }, ...errors('401', '403', '404') },
    });
    const ifMatch: (Parameter | Ref)[] = revisions ? [{ $ref: '#/components/parameters/If-Match' }] : [];
    const preconditions = revisions ? errors('412') : {};
    const putable = resource.immutable ? [] : attributes.filter(([, d]) => d.put === true);
    if (putable.length > 0) {
      const updateRef = this.schema(`${Member}Update`, bodySchema(putable, false));
      this.operation(memberPath, 'put', {
        operationId: this.id(resource, 'update', resource.member),
        summary: `Update a ${resource.member}: only the attributes given change.`,
        tags: [tag],
        parameters: [...parentParameters, idParameter, ...ifMatch],
        requestBody: {
          required: true,
          ...json(closed({ [resource.member]: updateRef })),
        },
        responses: {
          '200': { description: `The ${resource.member} after the change.`, ...json(one) },
          ...errors('400', '401', '403', '404', '409'),
          ...preconditions,
        },
      });
    }
    this.operation(memberPath, 'delete', {
      operationId: this.id(resource, 'delete', resource.member),
      summary: `Delete a ${resource.member}.`,
      tags: [tag],
      parameters: [...parentParameters, idParameter, ...ifMatch],
      responses: { '204': { description: 'Deleted.' }, ...errors('400', '401', '403', '404', '409'), ...preconditions },
    });

    const memberParameters = [...parentParameters, idParameter];
    for (const [name, action] of Object.entries(resource.actions ?? {})) this.action(resource, memberPath, memberParameters, name, action);
    if (resource.taggable === true) this.tagRoutes(resource, memberPath, memberParameters);
  }

  private action(resource: ResourceDecl, memberPath: string, parameters: readonly Parameter[], name: string, action: ActionDecl): void {
    const method = METHODS[action.method];
    // A body only where HTTP gives one meaning (PUT, POST).
    const body = method === 'put' || method === 'post' ? action.body : undefined;
    const schemaName = `${pascal(resource.member)}${pascal(name)}Request`;
    const bodyRef = body !== undefined ? this.schema(schemaName, bodySchema(Object.entries(body), false)) : undefined;
    this.operation(`${memberPath}/${name}`, method, {
      operationId: `${camel(resource.member)}${pascal(name)}`,
      summary: `${name} on a ${resource.member} (a bare JSON object in, a bare JSON ${action.answersList === true ? 'list' : 'object'} out).`,
      tags: [resource.collection],
      parameters,
      ...(bodyRef !== undefined ? { requestBody: { required: true, ...json(bodyRef) } } : {}),
      responses: {
        '200': { description: 'The result of the action.', ...json(action.answersList === true ? { type: 'array', items: { type: 'object' } } : { type: 'object' }) },
        ...errors('400', '401', '403', '404', '409'),
      },
    });
  }

  private tagRoutes(resource: ResourceDecl, memberPath: string, parameters: readonly Parameter[]): void {
    const Member = pascal(resource.member);
    const all = `${memberPath}/tags`;
    const one = `${all}/{tag}`;
    const tagParameter: Parameter = { name: 'tag', in: 'path', required: true, schema: { type: 'string', maxLength: 255 } };
    const listed = { '200': { description: 'The tags after the request.', ...json(ref('Tags')) } };
    const empty = (status: string, description: string) => ({ [status]: { description } });
    const routes = [
      [all, 'get', `list${Member}Tags`, `A ${resource.member}'s tags.`, false, listed],
      [all, 'put', `replace${Member}Tags`, 'Replace all tags.', true, listed],
      [all, 'post', `add${Member}Tags`, 'Add tags to those it has (tag-creation).', true, listed],
      [all, 'delete', `deleteAll${Member}Tags`, 'Remove every tag.', false, empty('204', 'No tags left.')],
      [one, 'get', `check${Member}Tag`, 'Whether it has this tag (204, else 404).', false, empty('204', 'It has the tag.')],
      [one, 'put', `add${Member}Tag`, 'Add one tag.', false, empty('201', 'Added.')],
      [one, 'delete', `delete${Member}Tag`, 'Remove one tag.', false, empty('204', 'Removed.')],
    ] as const;
    for (const [path, method, operationId, summary, withBody, responses] of routes) {
      this.operation(path, method, {
        operationId,
        summary,
        tags: [resource.collection],
        parameters: path === one ? [...parameters, tagParameter] : parameters,
        ...(withBody ? { requestBody: { required: true, ...json(ref('Tags')) } } : {}),
        responses: { ...responses, ...errors('400', '401', '403', '404') },
      });
    }
  }

  /** /v2.0/quotas (api/quotaRoutes.ts): the limits are the quota resources, from the declaration of the PUT body. */
  private quotas(): void {
    const tags = ['quotas'];
    this.tags.push({ name: 'quotas', description: 'Per-project limits (quotas, quota_details).' });
    const limits = Object.entries(quotaSet.attributes).map(([name, d]) => [name, typeSchema(d.type)] as const);
    const quota = this.schema('Quota', record(Object.fromEntries(limits), []));
    const quotaUpdate = this.schema(
      'QuotaUpdate',
      closed(
        {
          ...Object.fromEntries(limits),
          check_limit: { type: 'boolean', description: 'true: refuse a limit below what the project uses.' },
          force: { type: 'boolean', description: 'true: skip that check.' },
        },
        [],
      ),
    );
    const one = json(record({ quota }));
    const project = pathParameter('project_id', 'The project.');
    this.operation('/v2.0/quotas', 'get', {
      operationId: 'listQuotas',
      summary: 'The projects that have limits of their own.',
      tags,
      responses: {
        '200': {
          description: 'Projects and their limits.',
          ...json(record({ quotas: { type: 'array', items: quotaWithProject(limits) } })),
        },
        ...errors('401', '403'),
      },
    });
    const path = '/v2.0/quotas/{project_id}';
    this.operation(path, 'get', {
      operationId: 'showQuota',
      summary: "The limits that apply to a project.",
      tags,
      parameters: [project],
      responses: { '200': { description: 'The limits.', ...one }, ...errors('401', '403') },
    });
    this.operation(path, 'put', {
      operationId: 'updateQuota',
      summary: "Set a project's limits (admin); -1 is unlimited.",
      tags,
      parameters: [project],
      requestBody: { required: true, ...json(record({ quota: quotaUpdate })) },
      responses: { '200': { description: 'The limits after the change.', ...one }, ...errors('400', '401', '403', '409') },
    });
    this.operation(path, 'delete', {
      operationId: 'deleteQuota',
      summary: "Back to the defaults (admin).",
      tags,
      parameters: [project],
      responses: { '204': { description: 'Reset.' }, ...errors('401', '403') },
    });
    this.operation(`${path}/default`, 'get', {
      operationId: 'showQuotaDefault',
      summary: 'The configured default limits.',
      tags,
      parameters: [project],
      responses: { '200': { description: 'The defaults.', ...one }, ...errors('401', '403') },
    });
    if (this.aliases.has('quota_details')) {
      const count = { type: 'integer' };
      const usage = record({ limit: count, used: count, reserved: count });
      this.operation(`${path}/details`, 'get', {
        operationId: 'showQuotaDetails',
        summary: 'Limit, use and reservations of each resource.',
        tags,
        parameters: [project],
        responses: {
          '200': {
            description: 'The details.',
            ...json(record({ quota: record(Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, usage])), []) })),
          },
          ...errors('401', '403'),
        },
      });
    }
  }
}

function quotaWithProject(limits: readonly (readonly [string, Schema])[]): Schema {
  return record({ ...Object.fromEntries(limits), project_id: text, tenant_id: text }, []);
}

const METHODS = { PUT: 'put', POST: 'post', GET: 'get', DELETE: 'delete' } as const satisfies Record<ActionDecl['method'], keyof PathItem>;

const ERROR_STATUSES = {
  '400': ['BadRequest', 'The request is malformed or a value is invalid (HTTPBadRequest, InvalidInput, ...).'],
  '401': ['Unauthorized', 'No valid X-Auth-Token.'],
  '403': ['Forbidden', 'Policy refuses the operation or an attribute (PolicyNotAuthorized).'],
  '404': ['NotFound', 'No such object, or one the caller may not see (NetworkNotFound, ...).'],
  '409': ['Conflict', 'The request conflicts with the current state (NetworkInUse, IpAddressAlreadyAllocated, OverQuota, ...).'],
  '412': ['PreconditionFailed', 'If-Match: revision_number=N did not match (RevisionNumberConstraintFailed).'],
} as const;

type ErrorStatus = keyof typeof ERROR_STATUSES;

function errors(...statuses: ErrorStatus[]): Record<string, Ref> {
  return Object.fromEntries(statuses.map((s) => [s, errorRef(ERROR_STATUSES[s][0])]));
}

const ERROR_RESPONSES: Readonly<Record<string, unknown>> = Object.fromEntries(
  Object.values(ERROR_STATUSES).map(([name, description]) => [name, { description, ...json(ref('NeutronError')) }]),
);

const text = { type: 'string' };
const link = record({ rel: text, href: { type: 'string', format: 'uri' } });
const links = { type: 'array', items: link };

const COMMON_SCHEMAS: Readonly<Record<string, Schema>> = {
  NeutronError: record({
    NeutronError: record({
      type: { type: 'string', description: 'The error class name, e.g. NetworkNotFound.' },
      message: text,
      detail: text,
    }),
  }),
  Links: { type: 'array', items: link, description: 'Pagination links: `next` and `previous`.' },
  Tags: record({ tags: { type: 'array', items: { type: 'string', maxLength: 255 } } }),
  Extension: record({ name: text, alias: text, description: text, updated: text, links }),
  Versions: record({ versions: { type: 'array', items: record({ id: text, status: text, links }) } }),
  Resources: record({ resources: { type: 'array', items: record({ name: text, collection: text, links }) } }),
};

const COMMON_PARAMETERS: Readonly<Record<string, Parameter>> = {
  limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Page size; 0 is no pagination.' },
  marker: { name: 'marker', in: 'query', schema: { type: 'string' }, description: 'The id of the last object of the previous page.' },
  page_reverse: { name: 'page_reverse', in: 'query', schema: { type: 'boolean' }, description: 'true: the page before the marker.' },
  'If-Match': {
    name: 'If-Match',
    in: 'header',
    schema: { type: 'string' },
    description: '`revision_number=N`: proceed only at this revision (revision-if-match), else 412.',
  },
};

/**
 * GET /v2.0/openapi.json: valid OpenAPI 3.1 by a maintained validator,
 * enough for a generic client (openapi-client-axios, driven by the document
 * alone) to create a network, a subnet and a port, truthful about what the
 * server returns, and derived from what is loaded (extensions change it).
 */
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { OpenAPIClientAxios, type OpenAPIClient, type UnknownOperationMethod } from 'openapi-client-axios';

import { type Operation, openApiDocument, type OpenApiDocument, type Parameter, type Schema } from '../../src/api/openapi.js';
import { uuid } from '../../src/resources/attributeTypes.js';
import { composeApi } from '../../src/resources/compose.js';
import { coreExtensions, coreResources, routerExtensions } from '../../src/resources/index.js';
import type { ResourceDecl } from '../../src/resources/types.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';

/** Validates with @seriousme/openapi-schema-validator; the errors are the assertion's message. */
async function assertValidOpenApi(document: unknown): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(JSON.stringify(document)) as Record<string, unknown>);
  assert.equal(result.valid, true, `invalid OpenAPI: ${JSON.stringify(result.errors, null, 2)}`);
  assert.equal(validator.version, '3.1');
}

const METHODS = ['get', 'put', 'post', 'delete'] as const;

function operations(document: OpenApiDocument): { path: string; method: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ path, method, operation }] : [];
    }),
  );
}

/** The parameters written out (not `$ref`s to components). */
const inline = (parameters: Operation['parameters']): Parameter[] => (parameters ?? []).filter((p): p is Parameter => 'in' in p);

/** What the validator does not check: unique operationIds, and every `{param}` of a path declared on its operations. */
function assertConsistent(document: OpenApiDocument): void {
  const ids = operations(document).map((o) => o.operation.operationId);
  assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'operationIds are unique');
  for (const { path, method, operation } of operations(document)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = inline(operation.parameters)
      .filter((p) => p.in === 'path')
      .map((p) => p.name)
      .sort();
    assert.deepEqual(declared, templated, `${method.toUpperCase()} ${path} path parameters`);
  }
}

/**
 * JSON Schema 2020-12 with the formats the document uses, holding the whole
 * document as `openapi.json`, so that `openapi.json#/<pointer>` compiles
 * any schema in it with its references to `#/components/schemas/...`.
 */
function schemaValidator(document: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('ipv4', (v: string) => isIPv4(v));
  ajv.addFormat('ipv6', (v: string) => isIPv6(v));
  ajv.addFormat('mac', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i);
  ajv.addFormat('cidr', (v: string) => {
    const [address, length, extra] = v.split('/');
    return extra === undefined && length !== undefined && /^\d+$/.test(length) && (isIPv4(address ?? '') || isIPv6(address ?? ''));
  });
  ajv.addFormat('uri', (v: string) => URL.canParse(v));
  // The document's own keys are no schema keywords; each schema in it is compiled, strictly, when asked for.
  for (const keyword of Object.keys(document)) ajv.addKeyword({ keyword });
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  return ajv;
}

/** JSON pointers to every schema of the document: components, parameters, request and response bodies. */
function schemaPointers(value: unknown, pointer = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (key === 'schema' || pointer === '/components/schemas') return [here];
    return schemaPointers(child, here);
  });
}

describe('OpenAPI document', () => {
  let database: TestDatabase;
  let api: TestApi;
  let document: OpenApiDocument;

  before(async () => {
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url);
    const response = await api.request('GET', '/v2.0/openapi.json');
    assert.equal(response.status, 200);
    document = response.body as OpenApiDocument;
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });

  test('the served document is valid OpenAPI 3.1 and self-consistent', async () => {
    await assertValidOpenApi(document);
    assertConsistent(document);
    assert.deepEqual(document.servers, [{ url: api.url }]);
    assert.deepEqual(document.security, [{ keystone: [] }]);
    assert.deepEqual(document.components.securitySchemes['keystone'], {
      type: 'apiKey',
      in: 'header',
      name: 'X-Auth-Token',
      description: 'A Keystone token (auth_strategy = keystone).',
    });
    // The validator does not look inside schemas: every one compiles as JSON Schema 2020-12 (strict: no unknown keywords).
    const ajv = schemaValidator(document);
    const pointers = schemaPointers(document);
    assert.ok(pointers.length > 300, `${pointers.length} schemas`);
    for (const pointer of pointers) assert.ok(ajv.getSchema(`openapi.json#${pointer}`), pointer);
    // The same document without the suffix, as every route.
    assert.deepEqual((await api.request('GET', '/v2.0/openapi')).body, document);
  });

  test('it covers the generic collections, tags, extensions, versions and quotas with stable operationIds', () => {
    const ids = new Set(operations(document).map((o) => o.operation.operationId));
    for (const id of [
      'listApiVersions', 'listApiResources', 'listExtensions', 'showExtension', 'showOpenApiDocument',
      'listNetworks', 'showNetwork', 'createNetwork', 'updateNetwork', 'deleteNetwork',
      'listSubnets', 'createSubnet', 'listPorts', 'createPort', 'updatePort',
      'listSecurityGroups', 'createSecurityGroupRule', 'deleteSecurityGroupRule', 'listAgents', 'updateAgent', 'listSegments',
      'listNetworkTags', 'replaceNetworkTags', 'addNetworkTags', 'deleteAllNetworkTags',
      'checkNetworkTag', 'addNetworkTag', 'deleteNetworkTag',
      'listQuotas', 'showQuota', 'updateQuota', 'deleteQuota', 'showQuotaDefault', 'showQuotaDetails',
    ]) {
      assert.ok(ids.has(id), id);
    }
    // Agents register over RPC: no POST-able attribute, no create.
    assert.ok(!ids.has('createAgent'));
    assert.ok(!('post' in (document.paths['/v2.0/agents'] ?? {})));
    // Security group rules are immutable: no update, although description is PUT-able elsewhere.
    assert.ok(!ids.has('updateSecurityGroupRule'));
    assert.ok(ids.has('listAddressScopes') && ids.has('updateAddressScope'));
    // GET / needs no token.
    assert.deepEqual(document.paths['/']?.get?.security, []);

    const schemas = document.components.schemas;
    type ObjectSchema = { required: string[]; additionalProperties: boolean; properties: Record<string, Schema> };
    const subnetCreate = schemas['SubnetCreate'] as ObjectSchema;
    assert.deepEqual(subnetCreate.required, ['ip_version', 'network_id']);
    assert.equal(subnetCreate.additionalProperties, false);
    assert.deepEqual(subnetCreate.properties['ip_version'], { type: 'integer', enum: [4, 6] });
    assert.deepEqual(subnetCreate.properties['gateway_ip'], { type: ['string', 'null'], anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] });
    assert.deepEqual(subnetCreate.properties['cidr'], { type: 'string', format: 'cidr' });
    assert.deepEqual(subnetCreate.properties['enable_dhcp'], { type: 'boolean', default: true });
    const quotaUpdate = schemas['QuotaUpdate'] as { properties: Record<string, Schema> };
    assert.deepEqual(quotaUpdate.properties['network'], { type: 'integer', minimum: -1, maximum: 2 ** 31 - 1 });
    const port = schemas['Port'] as { properties: Record<string, Schema> };
    assert.deepEqual(port.properties['mac_address'], { type: ['string', 'null'], format: 'mac' });
    assert.equal(port.properties['prefixlen'], undefined);
    assert.equal((schemas['Subnet'] as { properties: Record<string, Schema> }).properties['prefixlen'], undefined, 'write-only');
    const updatePort = document.paths['/v2.0/ports/{id}']?.put;
    assert.ok(updatePort?.parameters?.some((p) => '$ref' in p && p.$ref === '#/components/parameters/If-Match'));
    assert.ok(updatePort && '412' in updatePort.responses);

    // List queries: filters from `filter`, sort keys from `sort`, paging, tag filters.
    const listNetworks = document.paths['/v2.0/networks']?.get;
    const names = (listNetworks?.parameters ?? []).map((p) => ('$ref' in p ? p.$ref.split('/').pop() : p.name));
    for (const name of [
      'name', 'shared', 'router:external', 'project_id', 'tenant_id', 'fields', 'sort_key', 'sort_dir',
      'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'not-tags-any', 'changed_since',
    ]) {
      assert.ok(names.includes(name), name);
    }
    assert.ok(!names.includes('subnets'), 'subnets is not a filter');
    const sortKeys = (inline(listNetworks?.parameters).find((p) => p.name === 'sort_key')?.schema['items'] as { enum: string[] }).enum;
    assert.ok(sortKeys.includes('name'));
    assert.ok(!sortKeys.includes('shared'), 'shared is not a sort key');

    // Errors are NeutronError bodies.
    const notFound = document.paths['/v2.0/networks/{id}']?.get?.responses['404'];
    assert.deepEqual(notFound, { $ref: '#/components/responses/NotFound' });
    assert.deepEqual(document.components.responses['NotFound'], {
      description: 'No such object, or one the caller may not see (NetworkNotFound, ...).',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/NeutronError' } } },
    });
  });

  test('a generic client driven by the document creates a network, a subnet and a port and lists them', async () => {
    // axios writes arrays as `name[]=a`; Neutron repeats the key (`name=a&name=b`), as the document's form/explode says.
    const client = await new OpenAPIClientAxios({
      definition: `${api.url}/v2.0/openapi.json`,
      axiosConfigDefaults: { paramsSerializer: { indexes: null } },
    }).init<OpenAPIClient>();
    /** The client's method for an operationId the document has. */
    const call = (operationId: string): UnknownOperationMethod => {
      const method = client[operationId];
      assert.ok(method, operationId);
      return method;
    };
    const ajv = schemaValidator(document);
    /** The object matches its schema, and every key the server returned is documented. */
    const assertDocumented = (schemaName: string, object: Record<string, unknown>) => {
      const validate = ajv.getSchema(`openapi.json#/components/schemas/${schemaName}`);
      assert.ok(validate);
      assert.ok(validate(object), `${schemaName}: ${JSON.stringify(validate.errors)}`);
      const properties = Object.keys((document.components.schemas[schemaName] as { properties: object }).properties);
      assert.deepEqual(Object.keys(object).filter((k) => !properties.includes(k)), [], `${schemaName}: undocumented keys`);
    };

    const network = await call('createNetwork')(undefined, { network: { name: 'oa-net' } });
    assert.equal(network.status, 201);
    assert.equal(network.data.network.name, 'oa-net');
    assertDocumented('Network', network.data.network);

    const subnet = await call('createSubnet')(undefined, {
      subnet: { network_id: network.data.network.id, ip_version: 4, cidr: '10.42.0.0/24', name: 'oa-subnet' },
    });
    assert.equal(subnet.status, 201);
    assert.equal(subnet.data.subnet.cidr, '10.42.0.0/24');
    assert.equal(subnet.data.subnet.gateway_ip, '10.42.0.1');
    assertDocumented('Subnet', subnet.data.subnet);

    const port = await call('createPort')(undefined, {
      port: { network_id: network.data.network.id, name: 'oa-port', fixed_ips: [{ subnet_id: subnet.data.subnet.id }] },
    });
    assert.equal(port.status, 201);
    assert.equal(port.data.port.fixed_ips[0].subnet_id, subnet.data.subnet.id);
    assertDocumented('Port', port.data.port);

    // Bulk, as the request body's oneOf allows.
    const bulk = await call('createNetwork')(undefined, { networks: [{ name: 'oa-bulk-1' }, { name: 'oa-bulk-2' }] });
    assert.equal(bulk.status, 201);
    assert.deepEqual(bulk.data.networks.map((n: { name: string }) => n.name), ['oa-bulk-1', 'oa-bulk-2']);

    // Lists with the documented query parameters (repeated filters, fields, sorting).
    const networks = await call('listNetworks')({ name: ['oa-net', 'oa-bulk-2'], sort_key: ['name'], sort_dir: ['desc'] });
    assert.deepEqual(networks.data.networks.map((n: { name: string }) => n.name), ['oa-net', 'oa-bulk-2']);
    const subnets = await call('listSubnets')({ network_id: [network.data.network.id], fields: ['id', 'cidr'] });
    assert.deepEqual(subnets.data.subnets, [{ id: subnet.data.subnet.id, cidr: '10.42.0.0/24' }]);
    const ports = await call('listPorts')({ network_id: [network.data.network.id] });
    assert.deepEqual(ports.data.ports.map((p: { id: string }) => p.id), [port.data.port.id]);
    for (const item of ports.data.ports) assertDocumented('Port', item);

    // Show, update, tags and delete by operationId with the path parameter.
    assert.equal((await call('showPort')({ id: port.data.port.id })).data.port.name, 'oa-port');
    const updated = await call('updatePort')({ id: port.data.port.id }, { port: { name: 'oa-port-2' } });
    assert.equal(updated.data.port.name, 'oa-port-2');
    await call('replaceNetworkTags')({ id: network.data.network.id }, { tags: ['blue'] });
    const tagged = await call('listNetworks')({ tags: ['blue'] });
    assert.deepEqual(tagged.data.networks.map((n: { id: string }) => n.id), [network.data.network.id]);
    assert.equal((await call('deletePort')({ id: port.data.port.id })).status, 204);

    // Errors come back as documented NeutronError bodies.
    const missing = await call('showNetwork')({ id: '00000000-0000-0000-0000-000000000000' }, undefined, { validateStatus: () => true });
    assert.equal(missing.status, 404);
    assertDocumented('NeutronError', missing.data);
    assert.equal(missing.data.NeutronError.type, 'NetworkNotFound');
  });
});

describe('OpenAPI document from what is loaded', () => {
  const full = composeApi(coreResources, coreExtensions);

  test('without external-net and the security group extensions, their attribute and paths are absent', async () => {
    const dropped = new Set([
      'external-net',
      'security-group',
      'stateful-security-group',
      'security-groups-normalized-cidr',
      'security-groups-rules-belongs-to-default-sg',
      'address-group',
      'rbac-address-group',
      'security-groups-remote-address-group',
      'security-groups-shared-filtering',
    ]);
    const document = openApiDocument(composeApi(coreResources, coreExtensions.filter((e) => !dropped.has(e.alias))), { allowBulk: true });
    await assertValidOpenApi(document);
    assertConsistent(document);
    const network = document.components.schemas['Network'] as { properties: Record<string, unknown> };
    assert.ok(!('router:external' in network.properties));
    assert.ok(!('security_groups' in (document.components.schemas['Port'] as { properties: Record<string, unknown> }).properties));
    assert.deepEqual(Object.keys(document.paths).filter((p) => p.includes('security-group')), []);
    assert.equal(document.components.schemas['SecurityGroup'], undefined);

    const withAll = openApiDocument(full, { allowBulk: true });
    assert.ok('router:external' in (withAll.components.schemas['Network'] as { properties: Record<string, unknown> }).properties);
    assert.ok('/v2.0/security-groups/{id}' in withAll.paths);
  });

  test('collections without a plugin, bulk when not allowed, and quotas without the extension are left out', () => {
    const document = openApiDocument(
      composeApi(coreResources, coreExtensions.filter((e) => e.alias !== 'quotas' && e.alias !== 'quota_details')),
      { allowBulk: false, collections: ['networks'] },
    );
    assert.deepEqual(
      Object.keys(document.paths).filter((p) => p.startsWith('/v2.0/') && !p.startsWith('/v2.0/extensions') && p !== '/v2.0/openapi.json'),
      ['/v2.0/networks', '/v2.0/networks/{id}', '/v2.0/networks/{id}/tags', '/v2.0/networks/{id}/tags/{tag}'],
    );
    const body = document.paths['/v2.0/networks']?.post?.requestBody?.content['application/json'].schema;
    assert.deepEqual(body, {
      type: 'object',
      properties: { network: { $ref: '#/components/schemas/NetworkCreate' } },
      required: ['network'],
      additionalProperties: false,
    });
  });

  test("a router's external_gateway_info takes {} as null, as Neutron's dict_or_nodata does", async () => {
    const document = openApiDocument(composeApi(coreResources, [...coreExtensions, ...routerExtensions]), { allowBulk: true });
    await assertValidOpenApi(document);
    const ajv = schemaValidator(document);
    const network_id = '0b9e1f53-6a1c-4a6e-9c4e-1f2d3c4b5a69';
    for (const name of ['RouterCreate', 'RouterUpdate']) {
      const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
      assert.ok(validate, name);
      for (const gateway of [{}, null, { network_id }, { network_id, enable_snat: false }]) {
        assert.ok(validate({ external_gateway_info: gateway }), `${name} ${JSON.stringify(gateway)}: ${JSON.stringify(validate.errors)}`);
      }
      // Not empty, it still needs its network.
      assert.equal(validate({ external_gateway_info: { enable_snat: false } }), false, name);
    }
  });

  test('member actions and nested collections appear at their paths', async () => {
    const routers = {
      collection: 'routers',
      member: 'router',
      attributes: {
        id: { type: uuid, filter: true, sort: true },
        name: { type: { kind: 'string', maxLength: 255 }, post: true, put: true, default: '', filter: true, sort: true },
      },
      actions: {
        add_router_interface: { method: 'PUT', body: { subnet_id: { type: uuid }, port_id: { type: uuid } } },
        remove_router_interface: { method: 'PUT', body: { subnet_id: { type: uuid }, port_id: { type: uuid } } },
      },
    } as const satisfies ResourceDecl;
    const policies = {
      collection: 'policies',
      member: 'policy',
      path: 'qos/policies',
      attributes: {
        id: { type: uuid, filter: true, sort: true },
        name: { type: { kind: 'string', maxLength: 255 }, post: true, put: true, default: '', filter: true },
      },
    } as const satisfies ResourceDecl;
    const rules = {
      collection: 'bandwidth_limit_rules',
      member: 'bandwidth_limit_rule',
      parent: 'policies',
      attributes: {
        id: { type: uuid, filter: true },
        max_kbps: { type: { kind: 'integer', min: 0, max: 2 ** 31 - 1 }, post: true, put: true, required: true, filter: true },
        direction: { type: { kind: 'enum', values: ['egress', 'ingress'] }, post: true, put: true, default: 'egress', filter: true },
      },
    } as const satisfies ResourceDecl;
    const trunks = {
      collection: 'trunks',
      member: 'trunk',
      attributes: { id: { type: uuid, filter: true } },
      actions: { get_subports: { method: 'GET' } },
    } as const satisfies ResourceDecl;
    const document = openApiDocument(composeApi([...coreResources, routers, policies, rules, trunks], coreExtensions), { allowBulk: true });
    await assertValidOpenApi(document);
    assertConsistent(document);

    const add = document.paths['/v2.0/routers/{id}/add_router_interface']?.put;
    assert.equal(add?.operationId, 'routerAddRouterInterface');
    assert.deepEqual(add?.requestBody?.content['application/json'].schema, {
      $ref: '#/components/schemas/RouterAddRouterInterfaceRequest',
    });
    assert.deepEqual(document.components.schemas['RouterAddRouterInterfaceRequest'], {
      type: 'object',
      properties: { subnet_id: { type: 'string', format: 'uuid' }, port_id: { type: 'string', format: 'uuid' } },
      additionalProperties: false,
    });
    assert.equal(document.paths['/v2.0/routers/{id}/remove_router_interface']?.put?.operationId, 'routerRemoveRouterInterface');
    const subports = document.paths['/v2.0/trunks/{id}/get_subports']?.get;
    assert.equal(subports?.operationId, 'trunkGetSubports');
    assert.equal(subports?.requestBody, undefined);

    assert.equal(document.paths['/v2.0/qos/policies']?.get?.operationId, 'listPolicies');
    const nested = '/v2.0/qos/policies/{policy_id}/bandwidth_limit_rules';
    assert.equal(document.paths[nested]?.get?.operationId, 'listBandwidthLimitRules');
    assert.equal(document.paths[nested]?.post?.operationId, 'createBandwidthLimitRule');
    assert.equal(document.paths[`${nested}/{id}`]?.put?.operationId, 'updateBandwidthLimitRule');
    assert.deepEqual(
      inline(document.paths[`${nested}/{id}`]?.get?.parameters)
        .filter((p) => p.in === 'path')
        .map((p) => p.name),
      ['policy_id', 'id'],
    );
    assert.deepEqual((document.components.schemas['BandwidthLimitRuleCreate'] as { required: string[] }).required, ['max_kbps']);
  });
});

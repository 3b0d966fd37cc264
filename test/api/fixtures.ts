/** A small declaration exercising every attribute type and flag, for the api/ tests. */
import assert from 'node:assert/strict';

import type { RequestContext } from '../../src/common/context.js';
import { NeutronError } from '../../src/common/errors.js';
import type { ResourceDecl } from '../../src/resources/types.js';

export const PROJECT = 'p1';
export const NET_ID = '3b2a9f1e-5c4d-4e6f-8a7b-1c2d3e4f5a6b';

export const member: RequestContext = {
  projectId: PROJECT,
  userId: 'u1',
  roles: ['member'],
  isAdmin: false,
  requestId: 'req-test',
};

export const admin: RequestContext = { ...member, roles: ['admin'], isAdmin: true };

export const widgets: ResourceDecl = {
  collection: 'wid-gets',
  member: 'widget',
  taggable: true,
  standardAttributes: true,
  attributes: {
    id: { type: { kind: 'uuid' }, filter: true, sort: true },
    name: {
      type: { kind: 'string', maxLength: 255, name: true },
      post: true,
      put: true,
      default: '',
      filter: true,
      sort: true,
    },
    network_id: { type: { kind: 'uuid' }, post: true, required: true, filter: true, sort: true },
    admin_state_up: { type: { kind: 'boolean' }, post: true, put: true, default: true, filter: true, sort: true },
    tenant_id: { type: { kind: 'string', maxLength: 255 }, post: true, filter: true, sort: true },
    status: { type: { kind: 'string' }, filter: true, sort: true },
    shared: { type: { kind: 'boolean' }, post: true, put: true, default: false, policy: 'admin', filter: true },
    secret: { type: { kind: 'string' }, post: true, put: true, policy: 'admin', column: 'secret' },
    mtu: { type: { kind: 'integer', min: 68, max: 9000 }, post: true, put: true, filter: true, sort: true },
    ip_version: { type: { kind: 'enum', values: [4, 6] }, post: true, filter: true },
    mode: { type: { kind: 'enum', values: ['slaac', 'dhcpv6-stateful'] }, post: true, put: true, nullable: true },
    mac_address: { type: { kind: 'mac' }, post: true, put: true, filter: true },
    gateway_ip: { type: { kind: 'ip' }, post: true, put: true, nullable: true, filter: true },
    cidr: { type: { kind: 'cidr' }, post: true, filter: true },
    fixed_ips: {
      type: {
        kind: 'list',
        of: {
          kind: 'object',
          fields: { subnet_id: { type: { kind: 'uuid' } }, ip_address: { type: { kind: 'ip' } } },
        },
      },
      post: true,
      put: true,
    },
    allocation_pools: {
      type: {
        kind: 'list',
        of: {
          kind: 'object',
          fields: { start: { type: { kind: 'ip' }, required: true }, end: { type: { kind: 'ip' }, required: true } },
        },
      },
      post: true,
    },
    dns_nameservers: {
      type: { kind: 'list', of: { kind: 'ip' }, unique: true, maxItems: 3 },
      post: true,
      put: true,
      default: () => [],
    },
    profile: { type: { kind: 'dict' }, post: true, put: true, nullable: true },
    dns_name: { type: { kind: 'dns-name' }, post: true, put: true },
    dns_domain: { type: { kind: 'dns-name', fqdn: true }, post: true, put: true },
    description: { type: { kind: 'string', maxLength: 255 }, post: true, put: true, default: '', filter: true },
    revision_number: { type: { kind: 'integer' }, filter: true, sort: true },
    created_at: { type: { kind: 'string' }, sort: true },
    updated_at: { type: { kind: 'string' }, sort: true },
    tags: { type: { kind: 'list', of: { kind: 'string', maxLength: 255 } }, filter: true },
  },
};

/** A resource without a project (like extensions or agents' sub-resources). */
export const gadgets: ResourceDecl = {
  collection: 'gadgets',
  member: 'gadget',
  attributes: {
    id: { type: { kind: 'uuid' }, filter: true, sort: true },
    name: { type: { kind: 'string', maxLength: 255 }, post: true, put: true, default: '', filter: true },
  },
};

export interface Expected {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

/** Runs `fn`, expecting a NeutronError with exactly this status, type and message. */
export function assertNeutronError(fn: () => unknown, expected: Expected): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NeutronError, `expected a NeutronError, got ${String(err)}`);
    assert.deepEqual({ status: err.status, type: err.type, message: err.message }, expected);
    return true;
  });
}

export const badRequest = (message: string): Expected => ({ status: 400, type: 'HTTPBadRequest', message });
export const invalidInput = (reason: string): Expected => ({
  status: 400,
  type: 'InvalidInput',
  message: `Invalid input for operation: ${reason}.`,
});
export const invalidAttr = (attr: string, reason: string): Expected =>
  badRequest(`Invalid input for ${attr}. Reason: ${reason}.`);

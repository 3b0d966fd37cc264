import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkCreate, checkUpdate } from '../../src/api/body.js';
import type { RequestContext } from '../../src/common/context.js';
import type { ResourceDecl } from '../../src/resources/types.js';
import {
  admin,
  assertNeutronError,
  badRequest,
  type Expected,
  gadgets,
  invalidAttr,
  invalidInput,
  member,
  NET_ID,
  PROJECT,
  widgets,
} from './fixtures.js';

const policy = (rule: string): Expected => ({
  status: 403,
  type: 'PolicyNotAuthorized',
  message: `(rule:${rule}) is disallowed by policy`,
});

/** The defaults checkCreate fills for a minimal widget. */
const DEFAULTS = {
  name: '',
  admin_state_up: true,
  shared: false,
  dns_nameservers: [],
  description: '',
  tenant_id: PROJECT,
  project_id: PROJECT,
};

describe('checkCreate: single and bulk', () => {
  it('fills defaults and the project from the token', () => {
    const out = checkCreate(widgets, { widget: { network_id: NET_ID } }, member);
    assert.equal(out.bulk, false);
    assert.deepEqual(out.items, [{ network_id: NET_ID, ...DEFAULTS }]);
  });

  it('converts what the caller gave', () => {
    const out = checkCreate(
      widgets,
      { widget: { network_id: NET_ID.toUpperCase(), admin_state_up: 'off', mtu: '1450', mac_address: 'FA-16-3E-00-00-01' } },
      member,
    );
    assert.deepEqual(out.items[0], {
      ...DEFAULTS,
      network_id: NET_ID,
      admin_state_up: false,
      mtu: 1450,
      mac_address: 'fa:16:3e:00:00:01',
    });
  });

  it('calls a function default per request', () => {
    const a = checkCreate(widgets, { widget: { network_id: NET_ID } }, member).items[0];
    const b = checkCreate(widgets, { widget: { network_id: NET_ID } }, member).items[0];
    assert.deepEqual(a?.dns_nameservers, []);
    assert.notEqual(a?.dns_nameservers, b?.dns_nameservers);
  });

  it('never modifies the body', () => {
    const body = {
      widget: { network_id: NET_ID.toUpperCase(), admin_state_up: 'yes', fixed_ips: [{ ip_address: '2001:DB8::1' }] },
    };
    const copy = structuredClone(body);
    const out = checkCreate(widgets, body, member);
    assert.deepEqual(body, copy);
    assert.notEqual(out.items[0]?.fixed_ips, body.widget.fixed_ips);
    assert.deepEqual(out.items[0]?.fixed_ips, [{ ip_address: '2001:db8::1' }]);
  });

  it('accepts bulk bodies, items wrapped or not, under the underscored collection key', () => {
    const out = checkCreate(
      widgets,
      { wid_gets: [{ network_id: NET_ID, name: 'a' }, { widget: { network_id: NET_ID, name: 'b' } }] },
      member,
    );
    assert.equal(out.bulk, true);
    assert.deepEqual(
      out.items.map((i) => i.name),
      ['a', 'b'],
    );
    assert.deepEqual(out.items[1], { ...DEFAULTS, network_id: NET_ID, name: 'b' });
  });

  it('a bad bulk item fails the whole request', () => {
    assertNeutronError(
      () => checkCreate(widgets, { wid_gets: [{ network_id: NET_ID }, { network_id: 'x' }] }, member),
      invalidAttr('network_id', "'x' is not a valid UUID"),
    );
  });

  const shapeCases: [string, unknown, Expected, { allowBulk?: boolean }?][] = [
    ['no body', undefined, badRequest("Unable to find 'widget' in request body")],
    ['empty object', {}, badRequest("Unable to find 'widget' in request body")],
    ['other key only', { network: {} }, badRequest("Unable to find 'widget' in request body")],
    ['null member', { widget: null }, badRequest("Unable to find 'widget' in request body")],
    ['JSON array body', [{ widget: {} }], badRequest('Body contains invalid data')],
    ['JSON string body', 'widget', badRequest('Body contains invalid data')],
    ['JSON null body', null, badRequest('Body contains invalid data')],
    ['member not an object', { widget: [] }, badRequest("Object 'widget' contains invalid data")],
    ['member a string', { widget: 'x' }, badRequest("Object 'widget' contains invalid data")],
    ['bulk empty list', { wid_gets: [] }, badRequest('Resources required')],
    ['bulk null', { wid_gets: null }, badRequest('Resources required')],
    ['bulk number', { wid_gets: 3 }, badRequest('Body contains invalid data')],
    ['bulk object', { wid_gets: { a: 1 } }, badRequest("Object 'widget' contains invalid data")],
    ['bulk item not an object', { wid_gets: [5] }, badRequest("Object 'widget' contains invalid data")],
    ['bulk item null member', { wid_gets: [{ widget: null }] }, badRequest("Unable to find 'widget' in request body")],
    [
      'bulk refused by the caller',
      { wid_gets: [{ network_id: NET_ID }] },
      badRequest('Bulk operation not supported'),
      { allowBulk: false },
    ],
  ];
  for (const [title, body, expected, options] of shapeCases) {
    it(`shape: ${title}`, () => assertNeutronError(() => checkCreate(widgets, body, member, options), expected));
  }
});

describe('checkCreate: tenant_id / project_id', () => {
  const create = (fields: Record<string, unknown>, ctx: RequestContext = member, resource: ResourceDecl = widgets) =>
    checkCreate(resource, { [resource.member]: { network_id: NET_ID, ...fields } }, ctx).items[0];

  it('tenant_id alone sets project_id', () => {
    assert.deepEqual(
      [create({ tenant_id: PROJECT })?.tenant_id, create({ tenant_id: PROJECT })?.project_id],
      [PROJECT, PROJECT],
    );
  });
  it('project_id alone sets tenant_id', () => {
    const out = create({ project_id: PROJECT });
    assert.deepEqual([out?.tenant_id, out?.project_id], [PROJECT, PROJECT]);
  });
  it('both, equal', () => {
    const out = create({ project_id: PROJECT, tenant_id: PROJECT });
    assert.deepEqual([out?.tenant_id, out?.project_id], [PROJECT, PROJECT]);
  });
  it('admin may name another project', () => {
    const out = create({ project_id: 'other' }, admin);
    assert.deepEqual([out?.tenant_id, out?.project_id], ['other', 'other']);
  });
  it('different values -> 400', () => {
    assertNeutronError(
      () => create({ project_id: PROJECT, tenant_id: 'other' }, admin),
      badRequest("'project_id' and 'tenant_id' do not match"),
    );
  });
  it('non-admin naming another project -> 400', () => {
    assertNeutronError(
      () => create({ tenant_id: 'other' }),
      badRequest(
        "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user.",
      ),
    );
  });
  it('no project anywhere -> 400', () => {
    assertNeutronError(
      () => create({}, { ...admin, projectId: '' }),
      badRequest('Running without keystone AuthN requires that project_id is specified'),
    );
  });
  it('project ids are validated like other attributes', () => {
    assertNeutronError(
      () => create({ project_id: 'x'.repeat(256) }, admin),
      invalidAttr('tenant_id', `'${'x'.repeat(256)}' exceeds maximum length of 255`),
    );
  });
  it('a resource without a project gets none, and refuses one', () => {
    assert.deepEqual(checkCreate(gadgets, { gadget: {} }, member).items[0], { name: '' });
    assertNeutronError(
      () => checkCreate(gadgets, { gadget: { tenant_id: PROJECT } }, member),
      badRequest("Unrecognized attribute(s) 'tenant_id, project_id'"),
    );
  });
});

describe('checkCreate: pipeline errors, in order', () => {
  const cases: [string, Record<string, unknown>, Expected][] = [
    ['unknown keys', { network_id: NET_ID, foo: 1, bar: 2 }, badRequest("Unrecognized attribute(s) 'foo, bar'")],
    ['non-POST key', { network_id: NET_ID, status: 'ACTIVE' }, badRequest("Attribute 'status' not allowed in POST")],
    ['non-POST id', { network_id: NET_ID, id: NET_ID }, badRequest("Attribute 'id' not allowed in POST")],
    [
      'missing required',
      { name: 'x' },
      badRequest("Failed to parse request. Required attribute 'network_id' not specified"),
    ],
    [
      'unknown before not-allowed',
      { network_id: NET_ID, status: 'x', foo: 1 },
      badRequest("Unrecognized attribute(s) 'foo'"),
    ],
    [
      'not-allowed before missing required',
      { status: 'x' },
      badRequest("Attribute 'status' not allowed in POST"),
    ],
    [
      'missing required before conversion',
      { admin_state_up: 'maybe' },
      badRequest("Failed to parse request. Required attribute 'network_id' not specified"),
    ],
    ['validator failure', { network_id: 'abc' }, invalidAttr('network_id', "'abc' is not a valid UUID")],
    ['converter failure', { network_id: NET_ID, admin_state_up: 'maybe' }, invalidInput("'maybe' cannot be converted to boolean")],
    [
      'declaration order decides between two bad values',
      { network_id: 'abc', name: ' x' },
      invalidAttr('name', "' x' is not a valid string"),
    ],
    [
      'nested path in the message',
      { network_id: NET_ID, fixed_ips: [{ subnet_id: NET_ID }, { subnet_id: 'junk' }] },
      invalidAttr('fixed_ips[1].subnet_id', "'junk' is not a valid UUID"),
    ],
    ['not nullable', { network_id: NET_ID, name: null }, invalidAttr('name', "'None' is not a valid string")],
    [
      '400 before the 403 of an admin-only attribute',
      { network_id: NET_ID, shared: true, mtu: 1 },
      invalidAttr('mtu', "'1' is too small - must be at least '68'"),
    ],
  ];
  for (const [title, fields, expected] of cases) {
    it(title, () => assertNeutronError(() => checkCreate(widgets, { widget: fields }, member), expected));
  }

  it('nullable attributes accept null', () => {
    const out = checkCreate(widgets, { widget: { network_id: NET_ID, gateway_ip: null, profile: null } }, member);
    assert.equal(out.items[0]?.gateway_ip, null);
    assert.equal(out.items[0]?.profile, null);
  });
});

describe('admin-only attributes', () => {
  const create = (fields: Record<string, unknown>, ctx: RequestContext) =>
    checkCreate(widgets, { widget: { network_id: NET_ID, ...fields } }, ctx).items[0];

  it('non-admin setting a non-default value -> 403 create_<member>:<attr>', () => {
    assertNeutronError(() => create({ shared: true }, member), policy('create_widget:shared'));
    assertNeutronError(() => create({ shared: 'yes' }, member), policy('create_widget:shared'));
  });
  it('non-admin passing the default value is fine (after conversion)', () => {
    assert.equal(create({ shared: false }, member)?.shared, false);
    assert.equal(create({ shared: 'false' }, member)?.shared, false);
  });
  it('an admin-only attribute without default is refused whatever its value', () => {
    assertNeutronError(() => create({ secret: '' }, member), policy('create_widget:secret'));
  });
  it('admins may set them', () => {
    assert.equal(create({ shared: true, secret: 's' }, admin)?.shared, true);
  });
  it('on PUT, any presence is refused for non-admins -> 403 update_<member>:<attr>', () => {
    assertNeutronError(() => checkUpdate(widgets, { widget: { shared: false } }, member), policy('update_widget:shared'));
    assert.deepEqual(checkUpdate(widgets, { widget: { shared: 'true' } }, admin), { shared: true });
  });
  it('OSC-style admin_state_up: true is not admin-only', () => {
    assert.equal(create({ admin_state_up: true }, member)?.admin_state_up, true);
  });
});

describe('checkUpdate', () => {
  it('returns only the converted changes', () => {
    assert.deepEqual(checkUpdate(widgets, { widget: { name: 'n', admin_state_up: '0', mtu: '9000' } }, member), {
      name: 'n',
      admin_state_up: false,
      mtu: 9000,
    });
  });
  it('an empty update is valid', () => {
    assert.deepEqual(checkUpdate(widgets, { widget: {} }, member), {});
  });
  it('never modifies the body', () => {
    const body = { widget: { mac_address: 'FA:16:3E:00:00:01' } };
    const out = checkUpdate(widgets, body, member);
    assert.deepEqual(body, { widget: { mac_address: 'FA:16:3E:00:00:01' } });
    assert.deepEqual(out, { mac_address: 'fa:16:3e:00:00:01' });
  });
  const cases: [string, unknown, Expected][] = [
    ['no body', undefined, badRequest("Unable to find 'widget' in request body")],
    ['bulk', { wid_gets: [{ name: 'x' }] }, badRequest('Bulk operation not supported')],
    ['read-only', { widget: { network_id: NET_ID } }, badRequest('Cannot update read-only attribute network_id')],
    ['read-only project', { widget: { project_id: PROJECT } }, badRequest('Cannot update read-only attribute tenant_id')],
    [
      'another project is refused before read-only',
      { widget: { project_id: 'other' } },
      badRequest(
        "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user.",
      ),
    ],
    ['unknown', { widget: { foo: 1 } }, badRequest("Unrecognized attribute(s) 'foo'")],
    ['unknown before read-only', { widget: { foo: 1, status: 'x' } }, badRequest("Unrecognized attribute(s) 'foo'")],
    ['invalid value', { widget: { mtu: 'big' } }, invalidInput("'big' is not an integer")],
  ];
  for (const [title, body, expected] of cases) {
    it(title, () => assertNeutronError(() => checkUpdate(widgets, body, member), expected));
  }
});

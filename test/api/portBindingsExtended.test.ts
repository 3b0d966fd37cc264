/**
 * binding-extended over HTTP on every backend: /v2.0/ports/{id}/bindings as
 * Nova's live migration drives it (an INACTIVE binding on the destination,
 * bound by the mechanism drivers for that host, activated, the source's
 * deleted), Neutron's errors and policy; and `binding:profile: null`
 * (neutron-lib's dict_or_none) on port create and update.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { AgentService } from '../../src/plugins/agents/agentService.js';
import { linuxBridgeAgentState } from '../helpers/agentStates.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type Headers, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const linuxBridge = (host: string) => linuxBridgeAgentState(host);

const asService = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'service' });
const KEYS = ['host', 'vif_type', 'vnic_type', 'status', 'profile', 'vif_details'];

for (const dialect of testDialects()) {
  describe(`binding-extended on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let agentDb: OpenDatabase;
    let networkId: string;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, {
        ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge'] },
        ml2_type_vxlan: { vni_ranges: ['1:100'] },
      });
      agentDb = await openDatabase(database.url);
      const agents = new AgentService(agentDb.db, 75);
      for (const host of ['src-host', 'dst-host', 'third-host']) await agents.reportState(linuxBridge(host));
      const network = await api.request('POST', '/v2.0/networks', { network: { name: 'migrate', tenant_id: 'p1' } });
      networkId = network.body.network.id;
    });
    after(async () => {
      await api?.close();
      await agentDb?.close();
      await database?.drop();
    });

    const createPort = async (port: Json = {}): Promise<Json> => {
      const created = await api.request('POST', '/v2.0/ports', {
        port: { network_id: networkId, tenant_id: 'p1', device_owner: 'compute:nova', ...port },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.port;
    };
    const bindings = async (portId: string, query = ''): Promise<Json[]> => {
      const listed = await api.request('GET', `/v2.0/ports/${portId}/bindings${query}`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      return listed.body.bindings;
    };
    const error = (response: { status: number; body: Json }) => [response.status, response.body?.NeutronError?.type];

    test('GET /v2.0/extensions lists binding-extended', async () => {
      const extensions = (await api.request('GET', '/v2.0/extensions')).body.extensions as Json[];
      const extension = extensions.find((e) => e.alias === 'binding-extended');
      assert.deepEqual(extension, {
        alias: 'binding-extended',
        name: 'Port Bindings Extended',
        description: 'Expose port bindings of a virtual port to external application',
        updated: '2017-07-17T10:00:00-00:00',
        links: [],
      });
    });

    test('live migration: an INACTIVE binding on the destination, activated, then the source one deleted', async () => {
      const port = await createPort({ 'binding:host_id': 'src-host' });
      assert.equal(port['binding:vif_type'], 'bridge');
      const before = await bindings(port.id);
      assert.equal(before.length, 1);
      assert.deepEqual(Object.keys(before[0]!), KEYS);
      assert.deepEqual(
        { ...before[0], vif_details: undefined },
        { host: 'src-host', vif_type: 'bridge', vnic_type: 'normal', status: 'ACTIVE', profile: {}, vif_details: undefined },
      );
      assert.deepEqual(before[0]!.vif_details, port['binding:vif_details']);

      const created = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host', profile: { migrating_to: 'dst-host' } } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(Object.keys(created.body.binding), KEYS);
      assert.deepEqual(
        { ...created.body.binding, vif_details: undefined },
        { host: 'dst-host', vif_type: 'bridge', vnic_type: 'normal', status: 'INACTIVE', profile: { migrating_to: 'dst-host' }, vif_details: undefined },
      );
      assert.equal(created.body.binding.vif_details.port_filter, true);
      // The port itself is still bound to the source.
      const unchanged = (await api.request('GET', `/v2.0/ports/${port.id}`)).body.port;
      assert.equal(unchanged['binding:host_id'], 'src-host');
      assert.equal(unchanged.revision_number, port.revision_number);

      const shown = await api.request('GET', `/v2.0/ports/${port.id}/bindings/dst-host`);
      assert.deepEqual([shown.status, shown.body.binding.status], [200, 'INACTIVE']);
      assert.deepEqual(
        (await bindings(port.id)).map((b) => [b.host, b.status]),
        [['dst-host', 'INACTIVE'], ['src-host', 'ACTIVE']],
      );
      assert.deepEqual((await bindings(port.id, '?status=INACTIVE&fields=host')), [{ host: 'dst-host' }]);
      // Paginated by host (the primary key), as upstream's controller allows; no sort keys.
      const first = await api.request('GET', `/v2.0/ports/${port.id}/bindings?limit=1`);
      assert.deepEqual(first.body.bindings.map((b: Json) => b.host), ['dst-host']);
      const next = (first.body.bindings_links as Json[]).find((l) => l.rel === 'next');
      assert.match(String(next?.href), /marker=dst-host/);
      const second = await api.request('GET', `/v2.0/ports/${port.id}/bindings?limit=1&marker=dst-host`);
      assert.deepEqual(second.body.bindings.map((b: Json) => b.host), ['src-host']);
      const unknownMarker = await api.request('GET', `/v2.0/ports/${port.id}/bindings?limit=1&marker=nowhere`);
      assert.deepEqual(error(unknownMarker), [404, 'PortBindingNotFound']);
      assert.deepEqual(error(await api.request('GET', `/v2.0/ports/${port.id}/bindings?sort_key=host`)), [400, 'HTTPBadRequest']);

      const activated = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host/activate`);
      assert.equal(activated.status, 200, JSON.stringify(activated.body));
      assert.deepEqual(
        { ...activated.body.binding, vif_details: undefined },
        { host: 'dst-host', vif_type: 'bridge', vnic_type: 'normal', status: 'ACTIVE', profile: { migrating_to: 'dst-host' }, vif_details: undefined },
      );
      // The port's binding:* attributes show the active binding; it is DOWN until the new host's agent wires it.
      const moved = (await api.request('GET', `/v2.0/ports/${port.id}`)).body.port;
      assert.equal(moved['binding:host_id'], 'dst-host');
      assert.equal(moved['binding:vif_type'], 'bridge');
      assert.deepEqual(moved['binding:profile'], { migrating_to: 'dst-host' });
      assert.equal(moved.status, 'DOWN');
      assert.ok(moved.revision_number > port.revision_number);
      // The source binding stays, INACTIVE and unbound.
      assert.deepEqual(
        (await bindings(port.id)).map((b) => [b.host, b.status, b.vif_type]),
        [['dst-host', 'ACTIVE', 'bridge'], ['src-host', 'INACTIVE', 'unbound']],
      );

      // Rolled back (Nova activates the source again): the source binding is bound anew.
      const back = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/src-host/activate`);
      assert.deepEqual([back.status, back.body.binding.status, back.body.binding.vif_type], [200, 'ACTIVE', 'bridge']);
      assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`)).body.port['binding:vif_type'], 'bridge');
      assert.equal((await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host/activate`)).status, 200);

      const removed = await api.request('DELETE', `/v2.0/ports/${port.id}/bindings/src-host`);
      assert.equal(removed.status, 204);
      assert.deepEqual((await bindings(port.id)).map((b) => b.host), ['dst-host']);
      const again = await api.request('DELETE', `/v2.0/ports/${port.id}/bindings/src-host`);
      assert.deepEqual(error(again), [404, 'PortBindingNotFound']);
      assert.equal(again.body.NeutronError.message, `Binding for port ${port.id} for host src-host could not be found.`);
    });

    test('Neutron\u2019s errors: already exists, already active, not found, failed binding, not a compute port, no such port', async () => {
      const port = await createPort({ 'binding:host_id': 'src-host' });
      assert.equal((await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } })).status, 201);

      const duplicate = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } });
      assert.deepEqual(error(duplicate), [409, 'PortBindingAlreadyExists']);
      assert.equal(duplicate.body.NeutronError.message, `Binding for port ${port.id} on host dst-host already exists.`);
      const ofActive = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'src-host' } });
      assert.deepEqual(error(ofActive), [409, 'PortBindingAlreadyExists']);

      const active = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/src-host/activate`);
      assert.deepEqual(error(active), [409, 'PortBindingAlreadyActive']);
      assert.equal(active.body.NeutronError.message, `Binding for port ${port.id} on host src-host is already active.`);
      assert.deepEqual(error(await api.request('PUT', `/v2.0/ports/${port.id}/bindings/nowhere/activate`)), [404, 'PortBindingNotFound']);
      assert.deepEqual(error(await api.request('GET', `/v2.0/ports/${port.id}/bindings/nowhere`)), [404, 'PortBindingNotFound']);
      assert.deepEqual(error(await api.request('DELETE', `/v2.0/ports/${port.id}/bindings/nowhere`)), [404, 'PortBindingNotFound']);

      // No agent on the host: no mechanism driver binds it, and nothing is stored (upstream's PortBindingError is a 500).
      const failed = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'agentless' } });
      assert.deepEqual(error(failed), [500, 'PortBindingError']);
      assert.equal(failed.body.NeutronError.message, `Binding for port ${port.id} on host agentless could not be created or updated.`);
      assert.deepEqual((await bindings(port.id)).map((b) => b.host), ['dst-host', 'src-host']);

      // Bad bodies are 400s, as for any resource.
      const readOnly = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'third-host', vif_type: 'ovs' } });
      assert.deepEqual(error(readOnly), [400, 'HTTPBadRequest']);
      const bulk = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { bindings: [{ host: 'third-host' }] });
      assert.deepEqual([...error(bulk), bulk.body.NeutronError.message], [400, 'HTTPBadRequest', 'Bulk operation not supported']);
      const noHost = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: {} });
      assert.deepEqual(error(noHost), [400, 'HTTPBadRequest']);
      const badVnic = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'third-host', vnic_type: 'floppy' } });
      assert.deepEqual(error(badVnic), [400, 'HTTPBadRequest']);
      const readOnlyPut = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host`, { binding: { status: 'ACTIVE' } });
      assert.deepEqual(error(readOnlyPut), [400, 'HTTPBadRequest']);
      const putMissing = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/nowhere`, { binding: { profile: {} } });
      assert.deepEqual(error(putMissing), [404, 'PortBindingNotFound']);

      const router = await createPort({ device_owner: 'network:dhcp' });
      for (const [method, path, body] of [
        ['GET', `/v2.0/ports/${router.id}/bindings`, undefined],
        ['POST', `/v2.0/ports/${router.id}/bindings`, { binding: { host: 'dst-host' } }],
      ] as const) {
        const refused = await api.request(method, path, body);
        assert.deepEqual(error(refused), [400, 'BadRequest'], `${method} ${path}`);
        assert.equal(refused.body.NeutronError.message, `Bad port request: Invalid port ${router.id}. Operation only valid on compute and shared filesystem ports.`);
      }

      const missing = '0d7e2c2e-4a49-4d6a-9f3e-1f0e8a7b6c5d';
      assert.deepEqual(error(await api.request('GET', `/v2.0/ports/${missing}/bindings`)), [404, 'PortNotFound']);
      assert.deepEqual(error(await api.request('POST', `/v2.0/ports/${missing}/bindings`, { binding: { host: 'dst-host' } })), [404, 'PortNotFound']);
    });

    test('PUT changes a binding\u2019s profile and vnic_type: an INACTIVE one in place, the ACTIVE one as a port update', async () => {
      const port = await createPort({ 'binding:host_id': 'src-host' });
      assert.equal((await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } })).status, 201);
      const inactive = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host`, { binding: { profile: { pci_slot: '0000:05:00.1' } } });
      assert.equal(inactive.status, 200, JSON.stringify(inactive.body));
      assert.deepEqual(
        [inactive.body.binding.status, inactive.body.binding.vif_type, inactive.body.binding.profile],
        ['INACTIVE', 'bridge', { pci_slot: '0000:05:00.1' }],
      );
      const active = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/src-host`, { binding: { profile: { b: 2 } } });
      assert.deepEqual([active.status, active.body.binding.status, active.body.binding.profile], [200, 'ACTIVE', { b: 2 }]);
      assert.deepEqual((await api.request('GET', `/v2.0/ports/${port.id}`)).body.port['binding:profile'], { b: 2 });
      // update_port_binding has no rule upstream: the default one (an admin; a binding belongs to no project).
      const byService = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host`, { binding: { profile: {} } }, asService('p1'));
      assert.deepEqual(error(byService), [403, 'PolicyNotAuthorized']);
      assert.equal(byService.body.NeutronError.message, '(rule:update_port_binding) is disallowed by policy');
    });

    test('a port without a host has an ACTIVE unbound binding on host "": a new one is INACTIVE', async () => {
      const port = await createPort();
      assert.deepEqual((await bindings(port.id)).map((b) => [b.host, b.status, b.vif_type]), [['', 'ACTIVE', 'unbound']]);
      const created = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } });
      assert.deepEqual([created.status, created.body.binding.status], [201, 'INACTIVE']);
    });

    test('policy: the service role and admins manage bindings; members see none and may not; other projects not even the port', async () => {
      const port = await createPort({ 'binding:host_id': 'src-host' });
      const listed = await api.request('GET', `/v2.0/ports/${port.id}/bindings`, undefined, asProject('p1'));
      assert.deepEqual([listed.status, listed.body.bindings], [200, []]);
      const shown = await api.request('GET', `/v2.0/ports/${port.id}/bindings/src-host`, undefined, asProject('p1'));
      assert.deepEqual(error(shown), [404, 'PortBindingNotFound']);
      const created = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } }, asProject('p1'));
      assert.deepEqual(error(created), [403, 'PolicyNotAuthorized']);
      assert.equal(created.body.NeutronError.message, '(rule:create_port_binding) is disallowed by policy');
      const other = await api.request('GET', `/v2.0/ports/${port.id}/bindings`, undefined, asProject('p2'));
      assert.deepEqual(error(other), [404, 'PortNotFound']);

      const byService = await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } }, asService('p1'));
      assert.equal(byService.status, 201, JSON.stringify(byService.body));
      const activate = await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host/activate`, undefined, asProject('p1'));
      assert.deepEqual(error(activate), [403, 'PolicyNotAuthorized']);
      assert.equal(activate.body.NeutronError.message, '(rule:activate) is disallowed by policy');
      const remove = await api.request('DELETE', `/v2.0/ports/${port.id}/bindings/dst-host`, undefined, asProject('p1'));
      assert.deepEqual(error(remove), [404, 'PortBindingNotFound']);
      assert.equal((await api.request('PUT', `/v2.0/ports/${port.id}/bindings/dst-host/activate`, undefined, asService('p1'))).status, 200);
      assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}/bindings/src-host`, undefined, asService('p1'))).status, 204);
    });

    test('deleting the ACTIVE binding unbinds the port; deleting the port takes its bindings', async () => {
      const port = await createPort({ 'binding:host_id': 'src-host' });
      assert.equal((await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } })).status, 201);
      assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}/bindings/src-host`)).status, 204);
      const unbound = (await api.request('GET', `/v2.0/ports/${port.id}`)).body.port;
      assert.deepEqual([unbound['binding:host_id'], unbound['binding:vif_type']], ['', 'unbound']);
      assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
      const left = await agentDb.db.selectFrom('inactive_port_bindings').select('host').where('port_id', '=', port.id).execute();
      assert.deepEqual(left, []);
    });

    test('a port update that binds the port to a host replaces the INACTIVE binding it had there', async () => {
      const port = await createPort({ 'binding:host_id': 'src-host' });
      assert.equal((await api.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'dst-host' } })).status, 201);
      const moved = await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'dst-host' } });
      assert.equal(moved.status, 200);
      assert.deepEqual((await bindings(port.id)).map((b) => [b.host, b.status]), [['dst-host', 'ACTIVE']]);
    });

    test('binding:profile null is accepted on create and update (dict_or_none) and shows as {}', async () => {
      const port = await createPort({ 'binding:profile': null });
      assert.deepEqual(port['binding:profile'], {});
      const set = await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:profile': { a: 1 } } });
      assert.deepEqual([set.status, set.body.port['binding:profile']], [200, { a: 1 }]);
      const cleared = await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:profile': null } });
      assert.deepEqual([cleared.status, cleared.body.port['binding:profile']], [200, {}]);
      const refused = await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:profile': 'x' } });
      assert.deepEqual(error(refused), [400, 'HTTPBadRequest']);
    });
  });
}

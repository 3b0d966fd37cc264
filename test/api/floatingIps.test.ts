/**
 * Floating IPs over HTTP on every backend (service_plugins = router): the
 * extensions around them, create with an address picked or asked for,
 * association and every rule upstream enforces (type and message), the
 * ports API's limits, port_details, floatingip_pools, quotas, an exhausted
 * external pool, deleting an external network, and concurrent creates that
 * never share an address.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

for (const dialect of testDialects()) {
  describe(`floating IPs on ${dialect}`, () => {
    const api = suiteApi(dialect, { DEFAULT: { service_plugins: ['router'] } });
    const admin = {};
    const p1 = asProject('p1');
    const p2 = asProject('p2');
    const error = (response: { body: Json }) => {
      const { type, message } = response.body.NeutronError as Json;
      return { type, message };
    };
    const ok = <T extends { status: number; body: Json }>(response: T, status = 200): T => {
      assert.equal(response.status, status, JSON.stringify(response.body));
      return response;
    };
    const post = async (collection: string, member: string, body: Json, headers: Json = p1) =>
      ok(await api.request('POST', `/v2.0/${collection}`, { [member]: body }, headers), 201).body[member] as Json;
    const fip = (body: Json, headers: Json = p1) => api.request('POST', '/v2.0/floatingips', { floatingip: body }, headers);
    const updateFip = (id: string, body: Json, headers: Json = p1) => api.request('PUT', `/v2.0/floatingips/${id}`, { floatingip: body }, headers);

    /** An external network, a project network behind a router with a gateway on it, and a port there. */
    const topology = async (extCidr: string, intCidr: string, project: Json = p1) => {
      const ext = await post('networks', 'network', { name: 'public', 'router:external': true }, admin);
      const extSubnet = await post('subnets', 'subnet', { network_id: ext.id, cidr: extCidr, ip_version: 4 }, admin);
      const net = await post('networks', 'network', { name: 'private' }, project);
      const subnet = await post('subnets', 'subnet', { network_id: net.id, cidr: intCidr, ip_version: 4 }, project);
      const router = await post('routers', 'router', { name: 'r', external_gateway_info: { network_id: ext.id } }, project);
      ok(await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, project));
      const port = await post('ports', 'port', { network_id: net.id }, project);
      return { ext, extSubnet, net, subnet, router, port };
    };

    test('the extensions around floating IPs are listed', async () => {
      const aliases = new Set((ok(await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias));
      for (const alias of ['fip-port-details', 'floatingip-pools', 'floating-ip-port-forwarding-detail']) assert.ok(aliases.has(alias), alias);
    });

    test('create, associate, show with port_details, list with filters, disassociate, delete', async () => {
      const t = await topology('172.30.1.0/24', '10.30.1.0/24');
      const created = ok(await fip({ floating_network_id: t.ext.id, port_id: t.port.id, description: 'web' }), 201).body.floatingip;
      const fixed = t.port.fixed_ips[0].ip_address;
      assert.deepEqual(
        { ...created, id: undefined, floating_ip_address: undefined, created_at: undefined, updated_at: undefined },
        {
          id: undefined,
          floating_ip_address: undefined,
          floating_network_id: t.ext.id,
          router_id: t.router.id,
          port_id: t.port.id,
          fixed_ip_address: fixed,
          tenant_id: 'p1',
          project_id: 'p1',
          status: 'DOWN',
          description: 'web',
          tags: [],
          revision_number: 0,
          created_at: undefined,
          updated_at: undefined,
          port_details: {
            name: '',
            network_id: t.net.id,
            mac_address: t.port.mac_address,
            admin_state_up: true,
            status: 'DOWN',
            device_id: '',
            device_owner: '',
          },
        },
      );
      assert.match(created.floating_ip_address, /^172\.30\.1\./);
      // Its address is held by a network:floatingip port on the external network, which only admins see.
      const held = ok(await api.request('GET', `/v2.0/ports?device_id=${created.id}`, undefined, admin)).body.ports as Json[];
      assert.deepEqual(
        held.map((p) => [p.device_owner, p.network_id, p.fixed_ips[0].ip_address, p.tenant_id]),
        [['network:floatingip', t.ext.id, created.floating_ip_address, '']],
      );
      const holder = held[0] as Json;
      const deletePort = await api.request('DELETE', `/v2.0/ports/${holder.id}`, undefined, admin);
      assert.equal(deletePort.status, 409);
      assert.deepEqual(error(deletePort), {
        type: 'ServicePortInUse',
        message: `Port ${holder.id} cannot be deleted directly via the port API: has device owner network:floatingip.`,
      });

      const listed = ok(await api.request('GET', `/v2.0/floatingips?port_id=${t.port.id}&fields=id&fields=fixed_ip_address`, undefined, p1)).body;
      assert.deepEqual(listed.floatingips, [{ id: created.id, fixed_ip_address: fixed }]);
      assert.deepEqual(ok(await api.request('GET', '/v2.0/floatingips', undefined, p2)).body.floatingips, []);
      const hidden = await api.request('GET', `/v2.0/floatingips/${created.id}`, undefined, p2);
      assert.deepEqual([hidden.status, error(hidden)], [404, { type: 'FloatingIPNotFound', message: `Floating IP ${created.id} could not be found` }]);

      // A description-only update keeps the association; an empty body clears it, as it always has.
      const described = ok(await updateFip(created.id, { description: 'd2' })).body.floatingip;
      assert.deepEqual([described.port_id, described.description, described.revision_number], [t.port.id, 'd2', 1]);
      const cleared = ok(await updateFip(created.id, {})).body.floatingip;
      assert.deepEqual([cleared.port_id, cleared.fixed_ip_address, cleared.router_id, cleared.port_details], [null, null, null, null]);
      const again = ok(await updateFip(created.id, { port_id: t.port.id })).body.floatingip;
      assert.equal(again.router_id, t.router.id);
      const nulled = ok(await updateFip(created.id, { port_id: null })).body.floatingip;
      assert.equal(nulled.port_id, null);

      ok(await api.request('DELETE', `/v2.0/floatingips/${created.id}`, undefined, p1), 204);
      assert.deepEqual(ok(await api.request('GET', `/v2.0/ports?device_id=${created.id}`, undefined, admin)).body.ports, []);
    });

    test('association rules: upstream errors with their types and messages', async () => {
      const t = await topology('172.30.2.0/24', '10.30.2.0/24');
      const expect = async (response: Promise<{ status: number; body: Json }>, status: number, type: string, message: string) => {
        const r = await response;
        assert.deepEqual([r.status, error(r)], [status, { type, message }]);
      };
      await expect(fip({ floating_network_id: t.net.id }), 400, 'BadRequest', `Bad floatingip request: Network ${t.net.id} is not a valid external network.`);
      await expect(
        fip({ floating_network_id: t.ext.id, fixed_ip_address: '10.30.2.5' }),
        400,
        'BadRequest',
        'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.',
      );
      // Only admins choose the address.
      assert.equal((await fip({ floating_network_id: t.ext.id, floating_ip_address: '172.30.2.77' })).status, 403);
      const chosen = ok(await fip({ floating_network_id: t.ext.id, floating_ip_address: '172.30.2.77', tenant_id: 'p1' }, admin), 201).body.floatingip;
      assert.equal(chosen.floating_ip_address, '172.30.2.77');
      const taken = await fip({ floating_network_id: t.ext.id, floating_ip_address: '172.30.2.77' }, admin);
      assert.deepEqual([taken.status, error(taken).type], [409, 'IpAddressInUse']);

      // A port on a network the router does not join to the external network.
      const lonely = await post('networks', 'network', { name: 'lonely' });
      const lonelySubnet = await post('subnets', 'subnet', { network_id: lonely.id, cidr: '10.31.2.0/24', ip_version: 4 });
      const lonelyPort = await post('ports', 'port', { network_id: lonely.id });
      await expect(
        fip({ floating_network_id: t.ext.id, port_id: lonelyPort.id }),
        404,
        'ExternalGatewayForFloatingIPNotFound',
        `External network ${t.ext.id} is not reachable from subnet ${lonelySubnet.id}.  Therefore, cannot associate Port ${lonelyPort.id} with a Floating IP.`,
      );

      // Two IPv4 addresses: the caller must say which.
      const twoIps = await post('ports', 'port', { network_id: t.net.id, fixed_ips: [{ subnet_id: t.subnet.id }, { subnet_id: t.subnet.id }] });
      await expect(
        fip({ floating_network_id: t.ext.id, port_id: twoIps.id }),
        400,
        'BadRequest',
        `Bad floatingip request: Port ${twoIps.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP.`,
      );
      await expect(
        // The subnet's gateway, which the router holds: never one of the port's (the allocator picks the others at random).
        fip({ floating_network_id: t.ext.id, port_id: twoIps.id, fixed_ip_address: '10.30.2.1' }),
        400,
        'BadRequest',
        `Bad floatingip request: Port ${twoIps.id} does not have fixed ip 10.30.2.1.`,
      );
      const second = twoIps.fixed_ips[1].ip_address;
      const onSecond = ok(await fip({ floating_network_id: t.ext.id, port_id: twoIps.id, fixed_ip_address: second }), 201).body.floatingip;
      assert.equal(onSecond.fixed_ip_address, second);
      // One fixed address, one floating IP per external network.
      const double = await fip({ floating_network_id: t.ext.id, port_id: twoIps.id, fixed_ip_address: second });
      assert.deepEqual([double.status, error(double).type], [409, 'FloatingIPPortAlreadyAssociated']);
      assert.match(error(double).message, new RegExp(`with port ${twoIps.id} using fixed IP ${second.replace(/\./g, '\\.')}, as that fixed IP already has a floating IP on external network ${t.ext.id}\\.$`));
      // The address behind a floating IP stays on its port.
      const renumber = await api.request('PUT', `/v2.0/ports/${twoIps.id}`, { port: { fixed_ips: [{ subnet_id: t.subnet.id }] } }, p1);
      assert.deepEqual(error(renumber), {
        type: 'BadRequest',
        message: `Bad port request: Cannot update the fixed_ips of the port ${twoIps.id}, because its original fixed_ip has been associated to a floating ip.`,
      });

      // Another project's port: refused to the owner of the floating IP (the admin may).
      const theirs = await post('ports', 'port', { network_id: t.net.id, tenant_id: 'p2' }, admin);
      const mine = ok(await fip({ floating_network_id: t.ext.id }), 201).body.floatingip;
      await expect(
        updateFip(mine.id, { port_id: theirs.id }),
        400,
        'BadRequest',
        `Bad floatingip request: Cannot process floating IP association with Port ${theirs.id}, since that port is owned by a different project.`,
      );
      const dhcp = await post('ports', 'port', { network_id: t.net.id, device_owner: 'network:dhcp' }, admin);
      await expect(updateFip(mine.id, { port_id: dhcp.id }, admin), 400, 'BadRequest', `Bad floatingip request: Port ${dhcp.id} is unable to be assigned a floating IP.`);

      // The router keeps what its floating IPs need.
      const associated = ok(await updateFip(mine.id, { port_id: t.port.id })).body.floatingip;
      await expect(
        api.request('PUT', `/v2.0/routers/${t.router.id}`, { router: { external_gateway_info: null } }, p1),
        409,
        'RouterExternalGatewayInUseByFloatingIp',
        `Gateway cannot be updated for router ${t.router.id}, since a gateway to external network ${t.ext.id} is required by one or more floating IPs.`,
      );
      await expect(
        api.request('PUT', `/v2.0/routers/${t.router.id}/remove_router_interface`, { subnet_id: t.subnet.id }, p1),
        409,
        'RouterInterfaceInUseByFloatingIP',
        `Router interface for subnet ${t.subnet.id} on router ${t.router.id} cannot be deleted, as it is required by one or more floating IPs.`,
      );
      // Deleting the port disassociates its floating IP.
      ok(await api.request('DELETE', `/v2.0/ports/${t.port.id}`, undefined, p1), 204);
      const after = ok(await api.request('GET', `/v2.0/floatingips/${associated.id}`, undefined, p1)).body.floatingip;
      assert.deepEqual([after.port_id, after.fixed_ip_address, after.router_id], [null, null, null]);
    });

    test("a port owner cannot delete a port behind another project's floating IP (FipAssociated)", async () => {
      const t = await topology('172.30.3.0/24', '10.30.3.0/24');
      const byAdmin = ok(await fip({ floating_network_id: t.ext.id, port_id: t.port.id, tenant_id: 'p2' }, admin), 201).body.floatingip;
      assert.equal(byAdmin.port_id, t.port.id);
      const refused = await api.request('DELETE', `/v2.0/ports/${t.port.id}`, undefined, p1);
      assert.deepEqual([refused.status, error(refused)], [
        409,
        { type: 'FipAssociated', message: `Unable to complete the operation on port ${t.port.id} because the port still has an associated floating IP.` },
      ]);
    });

    test('floatingip_pools lists the IPv4 subnets of the external networks the caller sees', async () => {
      const ext = await post('networks', 'network', { name: 'pool-net', 'router:external': true }, admin);
      const v4 = await post('subnets', 'subnet', { network_id: ext.id, cidr: '172.30.4.0/24', ip_version: 4, name: 'pool-v4' }, admin);
      await post('subnets', 'subnet', { network_id: ext.id, cidr: '2001:db8:30:4::/64', ip_version: 6 }, admin);
      const pools = ok(await api.request('GET', '/v2.0/floatingip_pools', undefined, p2)).body.floatingip_pools as Json[];
      // Neutron serves every collection under both spellings; tempest's client asks for this one.
      assert.deepEqual(ok(await api.request('GET', '/v2.0/floatingip-pools', undefined, p2)).body.floatingip_pools, pools);
      assert.deepEqual(
        pools.filter((p) => p.network_id === ext.id),
        [{ subnet_id: v4.id, subnet_name: 'pool-v4', network_id: ext.id, cidr: '172.30.4.0/24', project_id: 'fake_project_id' }],
      );
      // The pool's subnet, asked for by id.
      const fromPool = ok(await fip({ floating_network_id: ext.id, subnet_id: v4.id }, p2), 201).body.floatingip;
      assert.match(fromPool.floating_ip_address, /^172\.30\.4\./);
    });

    test('an external network without IPv4, an exhausted pool, the quota', async () => {
      const v6only = await post('networks', 'network', { name: 'v6', 'router:external': true }, admin);
      await post('subnets', 'subnet', { network_id: v6only.id, cidr: '2001:db8:30:5::/64', ip_version: 6 }, admin);
      const noV4 = await fip({ floating_network_id: v6only.id });
      assert.deepEqual(error(noV4), { type: 'BadRequest', message: `Bad floatingip request: Network ${v6only.id} does not contain any IPv4 subnet.` });

      const tiny = await post('networks', 'network', { name: 'tiny', 'router:external': true }, admin);
      await post('subnets', 'subnet', { network_id: tiny.id, cidr: '172.30.6.0/30', ip_version: 4 }, admin);
      ok(await fip({ floating_network_id: tiny.id }), 201);
      const exhausted = await fip({ floating_network_id: tiny.id });
      assert.deepEqual([exhausted.status, error(exhausted).type], [409, 'IpAddressGenerationFailure']);

      ok(await api.request('PUT', '/v2.0/quotas/p9', { quota: { floatingip: 1 } }, admin));
      const ext = await post('networks', 'network', { name: 'q', 'router:external': true }, admin);
      await post('subnets', 'subnet', { network_id: ext.id, cidr: '172.30.7.0/24', ip_version: 4 }, admin);
      ok(await fip({ floating_network_id: ext.id }, asProject('p9')), 201);
      const over = await fip({ floating_network_id: ext.id }, asProject('p9'));
      assert.deepEqual([over.status, error(over).type], [409, 'OverQuota']);
    });

    test('deleting an external network deletes its unassociated floating IPs; an associated one keeps it', async () => {
      const ext = await post('networks', 'network', { name: 'gone', 'router:external': true }, admin);
      await post('subnets', 'subnet', { network_id: ext.id, cidr: '172.30.8.0/24', ip_version: 4, enable_dhcp: false }, admin);
      const loose = ok(await fip({ floating_network_id: ext.id }, admin), 201).body.floatingip;
      ok(await api.request('DELETE', `/v2.0/networks/${ext.id}`, undefined, admin), 204);
      assert.equal((await api.request('GET', `/v2.0/floatingips/${loose.id}`, undefined, admin)).status, 404);

      const t = await topology('172.30.9.0/24', '10.30.9.0/24');
      ok(await fip({ floating_network_id: t.ext.id, port_id: t.port.id }), 201);
      const inUse = await api.request('DELETE', `/v2.0/networks/${t.ext.id}`, undefined, admin);
      assert.deepEqual([inUse.status, error(inUse).type], [409, 'NetworkInUse']);
    });

    test('concurrent creates on one external network never share an address', async () => {
      const ext = await post('networks', 'network', { name: 'race', 'router:external': true }, admin);
      await post('subnets', 'subnet', { network_id: ext.id, cidr: '172.30.10.0/26', ip_version: 4 }, admin);
      const responses = await Promise.all(Array.from({ length: 24 }, () => fip({ floating_network_id: ext.id }, admin)));
      const addresses = responses.map((r) => ok(r, 201).body.floatingip.floating_ip_address as string);
      assert.equal(new Set(addresses).size, addresses.length);
    });
  });
}

/**
 * Subnets, ports and IP address management over HTTP against a real server,
 * on every database backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

for (const dialect of testDialects()) {
  describe(`subnets and ports API on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      // The new defaults alone: a reader of a network's project may not delete ports on it (rule:admin_owner_or_network_owner would let it).
      api = await startTestApi(database.url, { DEFAULT: { max_fixed_ips_per_port: 3 }, oslo_policy: { enforce_new_defaults: true } });
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const create = async (collection: string, member: string, body: Json, headers = {}): Promise<Json> => {
      const response = await api.request('POST', `/v2.0/${collection}`, { [member]: body }, headers);
      assert.equal(response.status, 201, `${collection}: ${JSON.stringify(response.body)}`);
      return response.body[member];
    };
    const network = (body: Json = {}, headers = {}) => create('networks', 'network', body, headers);
    const subnet = (body: Json, headers = {}) => create('subnets', 'subnet', { ip_version: 4, ...body }, headers);
    const port = (body: Json, headers = {}) => create('ports', 'port', body, headers);
    const expectError = async (method: string, path: string, body: unknown, status: number, type?: string) => {
      const response = await api.request(method, path, body);
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(response.body)}`);
      if (type) assert.equal(response.body.NeutronError.type, type);
      return response.body.NeutronError as { type: string; message: string };
    };

    test('an IPv4 subnet gets Neutron defaults and bumps its network revision', async () => {
      const net = await network({ name: 's-defaults' });
      const s = await subnet({ network_id: net.id, cidr: '10.1.0.5/24', name: 's1' });
      assert.equal(s.cidr, '10.1.0.0/24');
      assert.equal(s.gateway_ip, '10.1.0.1');
      assert.deepEqual(s.allocation_pools, [{ start: '10.1.0.2', end: '10.1.0.254' }]);
      assert.equal(s.enable_dhcp, true);
      assert.deepEqual(s.dns_nameservers, []);
      assert.deepEqual(s.host_routes, []);
      assert.equal(s.ipv6_ra_mode, null);
      assert.equal(s.subnetpool_id, null);
      const after = (await api.request('GET', `/v2.0/networks/${net.id}`)).body.network;
      assert.deepEqual(after.subnets, [s.id]);
      assert.equal(after.revision_number, net.revision_number + 1);
    });

    test('subnet rules: overlap, pools, gateway, DHCP prefix, versions', async () => {
      const net = await network({ name: 's-rules' });
      await subnet({ network_id: net.id, cidr: '10.2.0.0/24' });
      const overlap = await expectError('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.2.0.128/25', ip_version: 4 } }, 400);
      assert.match(overlap.message, /overlaps with another subnet/);
      const other = await network({ name: 's-rules-2' });
      await subnet({ network_id: other.id, cidr: '10.2.0.0/24' }); // overlap across networks is fine

      const base = { network_id: net.id, ip_version: 4 };
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.1.1', end: '10.3.1.5' }] } }, 400, 'OutOfBoundsAllocationPool');
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.0.9', end: '10.3.0.5' }] } }, 400, 'InvalidAllocationPool');
      await expectError(
        'POST',
        '/v2.0/subnets',
        { subnet: { ...base, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.0.2', end: '10.3.0.20' }, { start: '10.3.0.10', end: '10.3.0.30' }] } },
        409,
        'OverlappingAllocationPools',
      );
      await expectError(
        'POST',
        '/v2.0/subnets',
        { subnet: { ...base, cidr: '10.3.0.0/24', gateway_ip: '10.3.0.10', allocation_pools: [{ start: '10.3.0.2', end: '10.3.0.20' }] } },
        409,
        'GatewayConflictWithAllocationPools',
      );
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: '10.3.0.0/31' } }, 400);
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: 'fd00::/64' } }, 400);
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: '10.3.0.0/33' } }, 400);
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: 'banana' } }, 400);
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base } }, 400);
      await expectError('POST', '/v2.0/subnets', { subnet: { network_id: crypto.randomUUID(), cidr: '10.9.0.0/24', ip_version: 4 } }, 404, 'NetworkNotFound');
      await expectError('POST', '/v2.0/subnets', { subnet: { ...base, cidr: '10.3.0.0/24', ipv6_ra_mode: 'slaac' } }, 400);

      const noGateway = await subnet({ ...base, cidr: '10.4.0.0/29', gateway_ip: null, dns_nameservers: ['8.8.8.8', '1.1.1.1'], host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.4.0.1' }] });
      assert.equal(noGateway.gateway_ip, null);
      assert.deepEqual(noGateway.allocation_pools, [{ start: '10.4.0.1', end: '10.4.0.6' }]);
      assert.deepEqual(noGateway.dns_nameservers, ['8.8.8.8', '1.1.1.1']);
      assert.deepEqual(noGateway.host_routes, [{ destination: '192.168.0.0/16', nexthop: '10.4.0.1' }]);
      const dnsTooMany = { subnet: { ...base, cidr: '10.5.0.0/24', dns_nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5', '1.1.1.6'] } };
      await expectError('POST', '/v2.0/subnets', dnsTooMany, 400, 'DNSNameServersExhausted');
    });

    test('subnet update: name, DNS servers, pools and the gateway rule', async () => {
      const net = await network({ name: 's-update' });
      const s = await subnet({ network_id: net.id, cidr: '10.6.0.0/24' });
      const updated = await api.request('PUT', `/v2.0/subnets/${s.id}`, { subnet: { name: 'renamed', dns_nameservers: ['9.9.9.9'], allocation_pools: [{ start: '10.6.0.100', end: '10.6.0.200' }] } });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.subnet.name, 'renamed');
      assert.deepEqual(updated.body.subnet.dns_nameservers, ['9.9.9.9']);
      assert.deepEqual(updated.body.subnet.allocation_pools, [{ start: '10.6.0.100', end: '10.6.0.200' }]);
      assert.equal(updated.body.subnet.revision_number, 1);
      await expectError('PUT', `/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: '10.6.0.150' } }, 409, 'GatewayConflictWithAllocationPools');
      await expectError('PUT', `/v2.0/subnets/${s.id}`, { subnet: { cidr: '10.7.0.0/24' } }, 400);
      const p = await port({ network_id: net.id });
      const ip = p.fixed_ips[0].ip_address.split('.').map(Number)[3];
      assert.ok(ip >= 100 && ip <= 200, `allocated from the new pool: ${p.fixed_ips[0].ip_address}`);
    });

    test('ports: automatic address and MAC, dns_assignment, binding attributes', async () => {
      const net = await network({ name: 'p-auto' });
      const s = await subnet({ network_id: net.id, cidr: '10.10.0.0/24' });
      const p = await port({ network_id: net.id, name: 'vm1', device_owner: 'compute:nova', device_id: 'vm-1' });
      assert.equal(p.status, 'DOWN');
      assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(p.fixed_ips.length, 1);
      assert.equal(p.fixed_ips[0].subnet_id, s.id);
      assert.match(p.fixed_ips[0].ip_address, /^10\.10\.0\.\d+$/);
      assert.notEqual(p.fixed_ips[0].ip_address, '10.10.0.1');
      const host = `host-${p.fixed_ips[0].ip_address.replaceAll('.', '-')}`;
      assert.deepEqual(p.dns_assignment, [{ ip_address: p.fixed_ips[0].ip_address, hostname: host, fqdn: `${host}.openstacklocal.` }]);
      assert.equal(p['binding:vif_type'], 'unbound');
      assert.equal(p['binding:vnic_type'], 'normal');
      assert.deepEqual(p['binding:profile'], {});
      assert.equal(p.port_security_enabled, true);

      const bound = await api.request('PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'compute1', 'binding:profile': { a: 1 } } });
      assert.equal(bound.body.port['binding:host_id'], 'compute1');
      assert.deepEqual(bound.body.port['binding:profile'], { a: 1 });
      const filtered = await api.request('GET', `/v2.0/ports?binding:host_id=compute1&fields=id`);
      assert.deepEqual(filtered.body.ports, [{ id: p.id }]);

      const member = asProject('fake_project_id');
      const asMember = await api.request('GET', `/v2.0/ports/${p.id}`, undefined, member);
      assert.equal(asMember.status, 200);
      assert.ok(!('binding:host_id' in asMember.body.port), 'binding attributes are hidden from non-admins');
      const refused = await api.request('PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'elsewhere' } }, member);
      assert.equal(refused.status, 403);
    });

    test('port-mac-address-regenerate: mac_address null gives an unbound port a new MAC; ports the network owns keep theirs', async () => {
      const extension = await api.request('GET', '/v2.0/extensions/port-mac-address-regenerate');
      assert.equal(extension.body.extension.name, 'Neutron Port MAC address regenerate');
      const net = await network({ name: 'regen' });
      await subnet({ network_id: net.id, cidr: '10.77.0.0/24' });
      const p = await port({ network_id: net.id });
      const renewed = await api.request('PUT', `/v2.0/ports/${p.id}`, { port: { mac_address: null } });
      assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
      assert.match(renewed.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.notEqual(renewed.body.port.mac_address, p.mac_address);
      assert.equal(renewed.body.port.revision_number, p.revision_number + 1);
      const dhcp = await port({ network_id: net.id, device_owner: 'network:dhcp' });
      const refused = await expectError('PUT', `/v2.0/ports/${dhcp.id}`, { port: { mac_address: null } }, 409, 'UnsupportedPortDeviceOwner');
      assert.equal(refused.message, `Operation mac address update is not supported for device_owner network:dhcp on port ${dhcp.id}.`);
    });

    test('fixed_ips by subnet, by address, both, none; conflicts and limits', async () => {
      const net = await network({ name: 'p-fixed' });
      const s1 = await subnet({ network_id: net.id, cidr: '10.20.0.0/24' });
      const s2 = await subnet({ network_id: net.id, cidr: '10.21.0.0/24' });
      const bySubnet = await port({ network_id: net.id, fixed_ips: [{ subnet_id: s2.id }] });
      assert.equal(bySubnet.fixed_ips[0].subnet_id, s2.id);
      const byIp = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.50' }] });
      assert.deepEqual(byIp.fixed_ips, [{ subnet_id: s1.id, ip_address: '10.20.0.50' }]);
      const both = await port({ network_id: net.id, fixed_ips: [{ subnet_id: s2.id, ip_address: '10.21.0.7' }, { subnet_id: s1.id }] });
      assert.equal(both.fixed_ips.length, 2);
      const none = await port({ network_id: net.id, fixed_ips: [] });
      assert.deepEqual(none.fixed_ips, []);
      const outsidePool = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.1' }] });
      assert.equal(outsidePool.fixed_ips[0].ip_address, '10.20.0.1', 'explicit addresses may be outside the pools (the gateway is)');

      const path = '/v2.0/ports';
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.50' }] } }, 409, 'IpAddressInUse');
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.99.0.5' }] } }, 400, 'InvalidIpForNetwork');
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: [{ subnet_id: s1.id, ip_address: '10.21.0.9' }] } }, 400, 'InvalidIpForSubnet');
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.255' }] } }, 400);
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: [{ ip_address: 'not-an-ip' }] } }, 400);
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: [{ subnet_id: crypto.randomUUID() }] } }, 404, 'SubnetNotFound');
      const tooMany = [1, 2, 3, 4].map((i) => ({ ip_address: `10.20.0.${100 + i}` }));
      await expectError('POST', path, { port: { network_id: net.id, fixed_ips: tooMany } }, 400);
      await expectError('POST', path, { port: { network_id: net.id, mac_address: byIp.mac_address } }, 409, 'MacAddressInUse');
      await expectError('POST', path, { port: { network_id: net.id, mac_address: 'ff:ff:ff:ff:ff:ff' } }, 400);
      await expectError('POST', path, { port: { network_id: crypto.randomUUID() } }, 404, 'NetworkNotFound');

      const byFilter = await api.request('GET', `/v2.0/ports?fixed_ips=ip_address%3D10.20.0.50&fields=id`);
      assert.deepEqual(byFilter.body.ports, [{ id: byIp.id }]);
      // A substring: automatic addresses such as 10.21.0.71 match too, whichever the allocator picked.
      const bySubstr = (await api.request('GET', `/v2.0/ports?fixed_ips=ip_address_substr%3D10.21.0.7&fields=id&fields=fixed_ips`)).body.ports as Json[];
      assert.ok(bySubstr.some((p) => p.id === both.id));
      assert.ok(!bySubstr.some((p) => p.id === byIp.id));
      for (const p of bySubstr) assert.ok((p.fixed_ips as Json[]).some((ip) => String(ip.ip_address).includes('10.21.0.7')), JSON.stringify(p));
      const upperMac = await api.request('GET', `/v2.0/ports?mac_address=${byIp.mac_address.toUpperCase()}&fields=id`);
      assert.deepEqual(upperMac.body.ports, [{ id: byIp.id }]);
    });

    test('updating fixed_ips frees the old address; deleting a port frees its addresses', async () => {
      const net = await network({ name: 'p-free' });
      const s = await subnet({ network_id: net.id, cidr: '10.30.0.0/24' });
      const a = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.30.0.10' }] });
      const moved = await api.request('PUT', `/v2.0/ports/${a.id}`, { port: { fixed_ips: [{ ip_address: '10.30.0.11' }] } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual(moved.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.30.0.11' }]);
      assert.equal(moved.body.port.revision_number, 1);
      const b = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.30.0.10' }] });
      assert.equal(b.fixed_ips[0].ip_address, '10.30.0.10');
      const keep = await api.request('PUT', `/v2.0/ports/${a.id}`, { port: { fixed_ips: [{ subnet_id: s.id }] } });
      assert.equal(keep.body.port.fixed_ips[0].ip_address, '10.30.0.11', '{subnet_id} keeps the address the port has there');
      assert.equal((await api.request('DELETE', `/v2.0/ports/${a.id}`)).status, 204);
      const c = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.30.0.11' }] });
      assert.equal(c.fixed_ips[0].ip_address, '10.30.0.11');
    });

    test('a small pool is exhausted with IpAddressGenerationFailure', async () => {
      const net = await network({ name: 'p-exhaust' });
      await subnet({ network_id: net.id, cidr: '10.40.0.0/29' });
      const ips = new Set<string>();
      for (let i = 0; i < 5; i++) ips.add((await port({ network_id: net.id })).fixed_ips[0].ip_address);
      assert.equal(ips.size, 5);
      await expectError('POST', '/v2.0/ports', { port: { network_id: net.id } }, 409, 'IpAddressGenerationFailure');
      const availability = await api.request('GET', `/v2.0/network-ip-availabilities/${net.id}`);
      assert.equal(availability.status, 200);
      assert.equal(availability.body.network_ip_availability.total_ips, 5);
      assert.equal(availability.body.network_ip_availability.used_ips, 5);
      const forbidden = await api.request('GET', '/v2.0/network-ip-availabilities', undefined, asProject('someone'));
      assert.equal(forbidden.status, 403);
    });

    test('IPv6: SLAAC addresses by EUI-64, stateful addresses from the pool', async () => {
      const net = await network({ name: 'p-v6' });
      const slaac = await subnet({ network_id: net.id, ip_version: 6, cidr: '2001:db8:1::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
      assert.equal(slaac.gateway_ip, '2001:db8:1::');
      const stateful = await subnet({ network_id: net.id, ip_version: 6, cidr: '2001:db8:2::/64', ipv6_address_mode: 'dhcpv6-stateful' });
      const p = await port({ network_id: net.id, mac_address: 'fa:16:3e:33:44:55' });
      const bySubnet = Object.fromEntries(p.fixed_ips.map((ip: Json) => [ip.subnet_id, ip.ip_address]));
      assert.equal(bySubnet[slaac.id], '2001:db8:1:0:f816:3eff:fe33:4455');
      assert.match(bySubnet[stateful.id], /^2001:db8:2::/);
      await expectError('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: '2001:db8:3::/80', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } }, 400);
      // A SLAAC subnet with only automatic addresses can be deleted; its addresses go with it.
      assert.equal((await api.request('DELETE', `/v2.0/subnets/${slaac.id}`)).status, 204);
      const after = (await api.request('GET', `/v2.0/ports/${p.id}`)).body.port;
      assert.deepEqual(after.fixed_ips.map((ip: Json) => ip.subnet_id), [stateful.id]);
    });

    test('allowed address pairs, extra DHCP options and port security', async () => {
      const net = await network({ name: 'p-extras' });
      await subnet({ network_id: net.id, cidr: '10.50.0.0/24' });
      const p = await port({
        network_id: net.id,
        allowed_address_pairs: [{ ip_address: '10.50.0.200' }, { ip_address: '10.60.0.0/24', mac_address: 'fa:16:3e:00:00:01' }],
        extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }, { opt_name: 'tftp-server', opt_value: '10.50.0.2' }],
      });
      assert.deepEqual(p.allowed_address_pairs.map((pair: Json) => pair.mac_address), [p.mac_address, 'fa:16:3e:00:00:01']);
      assert.equal(p.extra_dhcp_opts.length, 2);
      const merged = await api.request('PUT', `/v2.0/ports/${p.id}`, { port: { extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: null }, { opt_name: 'mtu', opt_value: '1400' }] } });
      assert.deepEqual(merged.body.port.extra_dhcp_opts.map((o: Json) => o.opt_name).sort(), ['bootfile-name', 'mtu']);
      await expectError('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false } }, 409, 'AddressPairAndPortSecurityRequired');
      // Port security can go once nothing needs it: neither address pairs nor security groups (the default group, here).
      const open = await api.request('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false, allowed_address_pairs: [], security_groups: [] } });
      assert.equal(open.status, 200);
      assert.equal(open.body.port.port_security_enabled, false);
      const dup = { port: { network_id: net.id, allowed_address_pairs: [{ ip_address: '10.50.0.9' }, { ip_address: '10.50.0.9' }] } };
      await expectError('POST', '/v2.0/ports', dup, 400);
      const insecureNet = await network({ name: 'p-insecure', port_security_enabled: false });
      assert.equal((await port({ network_id: insecureNet.id })).port_security_enabled, false, 'ports inherit the network setting');
    });

    test('delete rules: NetworkInUse, SubnetInUse, DHCP ports go with the network', async () => {
      const net = await network({ name: 'd-rules' });
      const s = await subnet({ network_id: net.id, cidr: '10.70.0.0/24' });
      const vm = await port({ network_id: net.id, device_owner: 'compute:nova' });
      const dhcp = await port({ network_id: net.id, device_owner: 'network:dhcp' });
      assert.equal(dhcp.fixed_ips[0].ip_address, '10.70.0.2', 'DHCP ports take the first free address');
      const inUse = await expectError('DELETE', `/v2.0/networks/${net.id}`, undefined, 409, 'NetworkInUse');
      assert.match(inUse.message, new RegExp(vm.id));
      assert.doesNotMatch(inUse.message, new RegExp(dhcp.id));
      await expectError('DELETE', `/v2.0/subnets/${s.id}`, undefined, 409, 'SubnetInUse');
      assert.equal((await api.request('DELETE', `/v2.0/ports/${vm.id}`)).status, 204);
      assert.equal((await api.request('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
      assert.equal((await api.request('GET', `/v2.0/ports/${dhcp.id}`)).status, 404);
      assert.equal((await api.request('GET', `/v2.0/subnets/${s.id}`)).status, 404);
    });

    test('projects: ports only on own or shared networks; external networks are not for ports', async () => {
      const alice = asProject('alice');
      const bob = asProject('bob');
      const aliceNet = await network({ name: 'alice' }, alice);
      await subnet({ network_id: aliceNet.id, cidr: '10.80.0.0/24' }, alice);
      const shared = await network({ name: 'shared', shared: true });
      await subnet({ network_id: shared.id, cidr: '10.81.0.0/24' });
      const external = await network({ name: 'external', 'router:external': true });
      await subnet({ network_id: external.id, cidr: '10.82.0.0/24' });

      const onAlice = await api.request('POST', '/v2.0/ports', { port: { network_id: aliceNet.id } }, bob);
      assert.equal(onAlice.status, 404);
      const onShared = await port({ network_id: shared.id }, bob);
      assert.equal(onShared.project_id, 'bob');
      const onExternal = await api.request('POST', '/v2.0/ports', { port: { network_id: external.id } }, bob);
      assert.equal(onExternal.status, 404);
      const bobSubnets = (await api.request('GET', '/v2.0/subnets?fields=cidr', undefined, bob)).body.subnets.map((x: Json) => x.cidr);
      assert.ok(bobSubnets.includes('10.81.0.0/24'), 'subnets of shared networks are visible');
      assert.ok(!bobSubnets.includes('10.82.0.0/24'), 'subnets of external networks are not (tempest test_external_network_visibility)');
      assert.ok(!bobSubnets.includes('10.80.0.0/24'));
      const chosenIp = await api.request('POST', '/v2.0/ports', { port: { network_id: shared.id, fixed_ips: [{ ip_address: '10.81.0.77' }] } }, bob);
      assert.equal(chosenIp.status, 403, 'only the network owner picks addresses on a shared network');
      const noSecurity = await api.request('POST', '/v2.0/ports', { port: { network_id: shared.id, port_security_enabled: false } }, bob);
      assert.equal(noSecurity.status, 403);
      const pairs = [{ ip_address: '10.81.0.200' }];
      assert.equal((await api.request('POST', '/v2.0/ports', { port: { network_id: shared.id, allowed_address_pairs: pairs } }, bob)).status, 403);
      const update = await api.request('PUT', `/v2.0/ports/${onShared.id}`, { port: { allowed_address_pairs: pairs } }, bob);
      assert.equal(update.status, 403, 'address pairs on a shared network are for its owner');
      const subnetOnShared = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: shared.id, cidr: '10.83.0.0/24', ip_version: 4 } }, bob);
      assert.equal(subnetOnShared.status, 403);

      // The network's owner deletes another project's port on its network (tempest test_tenant_can_delete_port_on_own_network),
      // but may not change it; a reader of the network's project may not delete it.
      const aliceShared = await network({ name: 'alice-shared', shared: true, tenant_id: 'alice' });
      await subnet({ network_id: aliceShared.id, cidr: '10.84.0.0/24' }, alice);
      const bobsPort = await port({ network_id: aliceShared.id }, bob);
      assert.equal((await api.request('PUT', `/v2.0/ports/${bobsPort.id}`, { port: { name: 'x' } }, alice)).status, 403);
      const reader = { 'x-project-id': 'alice', 'x-roles': 'reader' };
      assert.equal((await api.request('DELETE', `/v2.0/ports/${bobsPort.id}`, undefined, reader)).status, 403);
      assert.equal((await api.request('DELETE', `/v2.0/ports/${bobsPort.id}`, undefined, alice)).status, 204);
      assert.equal((await api.request('GET', `/v2.0/ports/${bobsPort.id}`, undefined, bob)).status, 404);
    });
  });
}

/**
 * The dnsmasq files and command line of a network, line by line against
 * what Neutron's Dnsmasq driver writes (neutron/agent/linux/dhcp.py).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { dnsmasqArgs, networkFiles } from '../../../src/agents/dhcp/dnsmasqCommand.js';
import { addnHostsFile, formatOption, hostsFile, initialLeasesFile, optsFile } from '../../../src/agents/dhcp/dnsmasqFiles.js';
import { isolatedSubnetIds, shouldEnableMetadata } from '../../../src/agents/dhcp/metadataRule.js';
import { parseNetwork, type DhcpNetwork, type DhcpPort } from '../../../src/agents/dhcp/model.js';

const NET = '11111111-2222-3333-4444-555555555555';
const SUB4 = 'aaaaaaaa-0000-0000-0000-000000000001';
const SUB4B = 'aaaaaaaa-0000-0000-0000-000000000002';
const SUB6 = 'bbbbbbbb-0000-0000-0000-000000000001';

const subnet4 = {
  id: SUB4,
  cidr: '10.251.0.0/24',
  ip_version: 4,
  enable_dhcp: true,
  gateway_ip: '10.251.0.1',
  dns_nameservers: [],
  host_routes: [],
  ipv6_address_mode: null,
  ipv6_ra_mode: null,
};

const port = (id: string, mac: string, ips: [string, string][], extra: Record<string, unknown> = {}) => ({
  id,
  network_id: NET,
  mac_address: mac,
  device_owner: 'compute:nova',
  device_id: 'vm',
  fixed_ips: ips.map(([subnet_id, ip_address]) => ({ subnet_id, ip_address })),
  ...extra,
});

const dhcpPortJson = port('dddddddd-0000-0000-0000-000000000001', 'fa:16:3e:00:00:02', [[SUB4, '10.251.0.2']], { device_owner: 'network:dhcp' });
const vm1 = port('cccccccc-0000-0000-0000-000000000011', 'fa:16:3e:00:00:11', [[SUB4, '10.251.0.11']]);

function network(subnets: unknown[], ports: unknown[], mtu = 1450): DhcpNetwork {
  return parseNetwork({ id: NET, project_id: 'p', mtu, subnets, ports });
}

const isolatedSettings = { dnsDomain: 'openstacklocal', enableIsolatedMetadata: true, forceMetadata: false };
const plainSettings = { dnsDomain: 'openstacklocal', enableIsolatedMetadata: false, forceMetadata: false };
const dhcpPortOf = (n: DhcpNetwork): DhcpPort => n.ports.find((p) => p.device_owner === 'network:dhcp')!;

describe('dnsmasq files', () => {
  test('host, addn_hosts and leases: host-<ip> names in the dns_domain, the DHCP port included', () => {
    const n = network([subnet4], [dhcpPortJson, vm1]);
    assert.equal(
      hostsFile(plainSettings, n),
      'fa:16:3e:00:00:02,host-10-251-0-2.openstacklocal,10.251.0.2\nfa:16:3e:00:00:11,host-10-251-0-11.openstacklocal,10.251.0.11\n',
    );
    assert.equal(
      addnHostsFile(plainSettings, n),
      '10.251.0.2\thost-10-251-0-2.openstacklocal host-10-251-0-2\n10.251.0.11\thost-10-251-0-11.openstacklocal host-10-251-0-11\n',
    );
    assert.equal(initialLeasesFile(plainSettings, n), '0 fa:16:3e:00:00:02 10.251.0.2 * *\n0 fa:16:3e:00:00:11 10.251.0.11 * *\n');
  });

  test('a port with dns_name gets the server-assigned hostname and fqdn', () => {
    const named = port('cccccccc-0000-0000-0000-000000000012', 'fa:16:3e:00:00:12', [[SUB4, '10.251.0.12']], {
      dns_assignment: [{ hostname: 'web1', ip_address: '10.251.0.12', fqdn: 'web1.example.org.' }],
    });
    const n = network([subnet4], [named]);
    assert.equal(hostsFile(plainSettings, n), 'fa:16:3e:00:00:12,web1.example.org.,10.251.0.12\n');
    assert.equal(addnHostsFile(plainSettings, n), '10.251.0.12\tweb1.example.org. web1\n');
  });

  test('router gateway ports get no host entry; no dns_domain means bare names', () => {
    const gw = port('eeeeeeee-0000-0000-0000-000000000001', 'fa:16:3e:00:00:01', [[SUB4, '10.251.0.1']], { device_owner: 'network:router_gateway' });
    const n = network([subnet4], [gw, vm1]);
    assert.equal(hostsFile({ ...plainSettings, dnsDomain: '' }, n), 'fa:16:3e:00:00:11,host-10-251-0-11,10.251.0.11\n');
  });

  test('isolated subnet with enable_isolated_metadata: option 121 and 249 carry the metadata route via the DHCP port, then the default route', () => {
    const n = network([subnet4], [dhcpPortJson, vm1]);
    assert.equal(
      optsFile(isolatedSettings, n, dhcpPortOf(n)),
      [
        `tag:subnet-${SUB4},option:classless-static-route,169.254.169.254/32,10.251.0.2,0.0.0.0/0,10.251.0.1`,
        `tag:subnet-${SUB4},249,169.254.169.254/32,10.251.0.2,0.0.0.0/0,10.251.0.1`,
        `tag:subnet-${SUB4},option:router,10.251.0.1`,
      ].join('\n'),
    );
    assert.equal(shouldEnableMetadata({ enableIsolatedMetadata: true, forceMetadata: false, enableMetadataNetwork: false }, n), true);
  });

  test('a routed subnet: the metadata route goes via the gateway, and no proxy runs in the DHCP namespace', () => {
    const routerPort = port('ffffffff-0000-0000-0000-000000000001', 'fa:16:3e:00:00:01', [[SUB4, '10.251.0.1']], { device_owner: 'network:router_interface' });
    const n = network([subnet4], [dhcpPortJson, routerPort]);
    assert.deepEqual([...isolatedSubnetIds(n)], []);
    assert.equal(
      optsFile(isolatedSettings, n, dhcpPortOf(n)),
      [
        `tag:subnet-${SUB4},option:classless-static-route,169.254.169.254/32,10.251.0.1,0.0.0.0/0,10.251.0.1`,
        `tag:subnet-${SUB4},249,169.254.169.254/32,10.251.0.1,0.0.0.0/0,10.251.0.1`,
        `tag:subnet-${SUB4},option:router,10.251.0.1`,
      ].join('\n'),
    );
    assert.equal(shouldEnableMetadata({ enableIsolatedMetadata: true, forceMetadata: false, enableMetadataNetwork: false }, n), false);
    assert.equal(shouldEnableMetadata({ enableIsolatedMetadata: false, forceMetadata: true, enableMetadataNetwork: false }, n), true);
  });

  test('without metadata and routes: only the router option; no gateway: an empty router option', () => {
    const n = network([subnet4], [dhcpPortJson]);
    assert.equal(optsFile(plainSettings, n, dhcpPortOf(n)), `tag:subnet-${SUB4},option:router,10.251.0.1`);
    const noGateway = network([{ ...subnet4, gateway_ip: null }], [dhcpPortJson]);
    assert.equal(optsFile(plainSettings, noGateway, dhcpPortOf(noGateway)), `tag:subnet-${SUB4},option:router`);
  });

  test('dns nameservers, host routes, a second subnet on-link, 0.0.0.0 meaning "announce none"', () => {
    const a = { ...subnet4, dns_nameservers: ['8.8.8.8', '1.1.1.1'], host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.251.0.254' }] };
    const b = { ...subnet4, id: SUB4B, cidr: '10.252.0.0/24', gateway_ip: '10.252.0.1', dns_nameservers: ['0.0.0.0'] };
    const n = network([a, b], [dhcpPortJson]);
    assert.equal(
      optsFile(plainSettings, n, dhcpPortOf(n)),
      [
        `tag:subnet-${SUB4},option:dns-server,8.8.8.8,1.1.1.1`,
        `tag:subnet-${SUB4},option:classless-static-route,10.252.0.0/24,0.0.0.0,192.168.0.0/16,10.251.0.254,0.0.0.0/0,10.251.0.1`,
        `tag:subnet-${SUB4},249,10.252.0.0/24,0.0.0.0,192.168.0.0/16,10.251.0.254,0.0.0.0/0,10.251.0.1`,
        `tag:subnet-${SUB4},option:router,10.251.0.1`,
        `tag:subnet-${SUB4B},option:dns-server`,
        `tag:subnet-${SUB4B},option:classless-static-route,10.251.0.0/24,0.0.0.0,0.0.0.0/0,10.252.0.1`,
        `tag:subnet-${SUB4B},249,10.251.0.0/24,0.0.0.0,0.0.0.0/0,10.252.0.1`,
        `tag:subnet-${SUB4B},option:router,10.252.0.1`,
      ].join('\n'),
    );
  });

  test('extra_dhcp_opts: the host line sets the port tag, options are tagged per port, client-id goes on the host line', () => {
    const pxe = port('cccccccc-0000-0000-0000-000000000013', 'fa:16:3e:00:00:13', [[SUB4, '10.251.0.13']], {
      extra_dhcp_opts: [
        { opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 },
        { opt_name: 'tag:ipxe,67', opt_value: 'http://boot/ipxe', ip_version: 4 },
      ],
    });
    const cid = port('cccccccc-0000-0000-0000-000000000014', 'fa:16:3e:00:00:14', [[SUB4, '10.251.0.14']], {
      extra_dhcp_opts: [{ opt_name: 'client-id', opt_value: '01:aa', ip_version: 4 }],
    });
    const n = network([subnet4], [pxe, cid]);
    assert.equal(
      hostsFile(plainSettings, n),
      'fa:16:3e:00:00:13,host-10-251-0-13.openstacklocal,10.251.0.13,set:port-cccccccc-0000-0000-0000-000000000013\n' +
        'fa:16:3e:00:00:14,id:01:aa,host-10-251-0-14.openstacklocal,10.251.0.14\n',
    );
    const opts = optsFile(plainSettings, n, undefined).split('\n');
    assert.deepEqual(opts.slice(1), [
      'tag:port-cccccccc-0000-0000-0000-000000000013,option:bootfile-name,pxelinux.0',
      'tag:port-cccccccc-0000-0000-0000-000000000013,tag:ipxe,67,http://boot/ipxe',
    ]);
    assert.equal(formatOption(6, 'subnet-x', 'dns-server', '[fd00::1]'), 'tag:subnet-x,option6:dns-server,[fd00::1]');
  });

  test('IPv6: stateful addresses in brackets, SLAAC ones not served, domain-search for v6 subnets', () => {
    const stateful = { ...subnet4, id: SUB6, cidr: 'fd00:1::/64', ip_version: 6, gateway_ip: 'fd00:1::1', ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' };
    const v6port = port('cccccccc-0000-0000-0000-000000000015', 'fa:16:3e:00:00:15', [[SUB6, 'fd00:1::15']]);
    const n = network([stateful], [v6port]);
    assert.equal(hostsFile(plainSettings, n), 'fa:16:3e:00:00:15,host-fd00-1--15.openstacklocal,[fd00:1::15]\n');
    assert.equal(optsFile(plainSettings, n, undefined), `tag:subnet-${SUB6},option6:domain-search,openstacklocal`);
    assert.equal(initialLeasesFile(plainSettings, n), '');
    const slaac = network([{ ...stateful, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' }], [v6port]);
    assert.equal(hostsFile(plainSettings, slaac), '');
    assert.match(addnHostsFile(plainSettings, slaac), /^fd00:1::15\thost-fd00-1--15.openstacklocal host-fd00-1--15\n$/);
  });
});

describe('dnsmasq command line', () => {
  const command = { leaseDuration: 86400, dnsServers: [], localResolv: false, leaseMax: 2 ** 24, configFile: '', dnsDomain: 'openstacklocal', broadcastReply: false };
  const files = networkFiles('/var/lib/neutron/dhcp', NET);
  const D = `/var/lib/neutron/dhcp/${NET}`;

  test("Neutron's current argument set, with the MTU and a lease max capped by the subnet size", () => {
    const n = network([subnet4], [dhcpPortJson]);
    assert.deepEqual(dnsmasqArgs(command, n, files), [
      '--no-hosts',
      '--no-resolv',
      `--pid-file=${D}/pid`,
      `--dhcp-hostsfile=${D}/host`,
      `--addn-hosts=${D}/addn_hosts`,
      `--dhcp-optsfile=${D}/opts`,
      `--dhcp-leasefile=${D}/leases`,
      '--dhcp-match=set:ipxe,175',
      '--dhcp-userclass=set:ipxe6,iPXE',
      '--local-service',
      '--bind-dynamic',
      `--dhcp-range=set:subnet-${SUB4},10.251.0.0,static,255.255.255.0,86400s`,
      '--dhcp-option-force=option:mtu,1450',
      '--dhcp-lease-max=256',
      '--conf-file=/dev/null',
      '--domain=openstacklocal',
    ]);
  });

  test('infinite leases, DNS servers, local resolv, logging, no MTU when unknown, IPv6 ranges with their prefix', () => {
    const v6 = { ...subnet4, id: SUB6, cidr: 'fd00:1::/64', ip_version: 6, gateway_ip: null };
    const n = network([subnet4, v6], [], 0);
    const args = dnsmasqArgs({ ...command, leaseDuration: -1, dnsServers: ['8.8.8.8'], baseLogDir: '/var/log/dnsmasq' }, n, files);
    assert.ok(args.includes(`--dhcp-range=set:subnet-${SUB4},10.251.0.0,static,255.255.255.0,infinite`));
    assert.ok(args.includes(`--dhcp-range=set:subnet-${SUB6},fd00:1::,static,64,infinite`));
    assert.ok(!args.some((arg) => arg.startsWith('--dhcp-option-force=option:mtu')));
    assert.ok(args.includes('--server=8.8.8.8') && args.includes('--no-resolv') && args.includes('--dhcp-lease-max=16777216'));
    assert.deepEqual(args.slice(-3), ['--log-queries', '--log-dhcp', `--log-facility=/var/log/dnsmasq/${NET}/dhcp_dns_log`]);
    assert.ok(!dnsmasqArgs({ ...command, localResolv: true }, n, files).includes('--no-resolv'));
  });
});

describe('initial leases', () => {
  test('IPv4 leases made up as infinite; IPv6 ones kept from the old file while their port still has the address', () => {
    const v6 = { ...subnet4, id: SUB6, cidr: 'fd00:1::/64', ip_version: 6, gateway_ip: null, ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: null };
    const dual = port('cccccccc-0000-0000-0000-000000000016', 'fa:16:3e:00:00:16', [
      [SUB4, '10.251.0.16'],
      [SUB6, 'fd00:1::16'],
    ]);
    const n = network([subnet4, v6], [dual]);
    const old = ['duid 00:01:00:01:aa', '1700000000 12345 fd00:1::16 host-x 00:02:bb', '1700000000 999 fd00:1::99 gone 00:02:cc', '1700000000 fa:16:3e:00:00:16 10.251.0.16 x *', ''].join('\n');
    assert.equal(
      initialLeasesFile(plainSettings, n, old),
      'duid 00:01:00:01:aa\n0 fa:16:3e:00:00:16 10.251.0.16 * *\n1700000000 12345 fd00:1::16 host-x 00:02:bb\n',
    );
  });
});

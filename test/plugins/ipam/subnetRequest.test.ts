import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  resolveSubnetCreate,
  resolveSubnetUpdate,
  type ResolvedSubnet,
  type StoredSubnet,
  type SubnetCreateRequest,
  type SubnetUpdateRequest,
} from '../../../src/plugins/ipam/subnetRequest.js';
import { expectNeutronError, type ExpectedError } from './expectError.js';

const NET = 'net-1';
const limits = { maxDnsNameservers: 3, maxHostRoutes: 2 };

function create(request: Omit<SubnetCreateRequest, 'networkId'>, others: readonly string[] = []): ResolvedSubnet {
  return resolveSubnetCreate({ networkId: NET, ...request }, others, limits);
}

const invalidInput = (message: string | RegExp): ExpectedError => ({
  status: 400,
  type: 'InvalidInput',
  message: typeof message === 'string' ? `Invalid input for operation: ${message}.` : message,
});
const badRequest = (message: string | RegExp): ExpectedError => ({ status: 400, type: 'HTTPBadRequest', message });

describe('subnet create: defaults', () => {
  const cases: {
    name: string;
    request: Omit<SubnetCreateRequest, 'networkId'>;
    cidr: string;
    gatewayIp: string | null;
    pools: [string, string][];
  }[] = [
    { name: 'IPv4 /24', request: { ipVersion: 4, cidr: '10.0.0.0/24' }, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', pools: [['10.0.0.2', '10.0.0.254']] },
    { name: 'host bits dropped', request: { ipVersion: 4, cidr: '10.0.0.5/24' }, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', pools: [['10.0.0.2', '10.0.0.254']] },
    { name: 'IPv4 /30 with DHCP', request: { ipVersion: 4, cidr: '10.0.0.4/30' }, cidr: '10.0.0.4/30', gatewayIp: '10.0.0.5', pools: [['10.0.0.6', '10.0.0.6']] },
    {
      name: 'IPv4 /31 without DHCP or gateway: both addresses',
      request: { ipVersion: 4, cidr: '10.14.0.20/31', enableDhcp: false, gatewayIp: null },
      cidr: '10.14.0.20/31',
      gatewayIp: null,
      pools: [['10.14.0.20', '10.14.0.21']],
    },
    {
      name: 'IPv4 /31 with a gateway outside',
      request: { ipVersion: 4, cidr: '10.14.0.20/31', enableDhcp: false, gatewayIp: '10.14.0.19' },
      cidr: '10.14.0.20/31',
      gatewayIp: '10.14.0.19',
      pools: [['10.14.0.20', '10.14.0.21']],
    },
    {
      name: 'IPv4 /32 without DHCP: network + 1 lies outside, the address is the pool',
      request: { ipVersion: 4, cidr: '10.14.0.20/32', enableDhcp: false },
      cidr: '10.14.0.20/32',
      gatewayIp: '10.14.0.21',
      pools: [['10.14.0.20', '10.14.0.20']],
    },
    { name: 'no gateway', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: null }, cidr: '10.0.0.0/24', gatewayIp: null, pools: [['10.0.0.1', '10.0.0.254']] },
    {
      name: 'gateway in the middle splits the pool',
      request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.100' },
      cidr: '10.0.0.0/24',
      gatewayIp: '10.0.0.100',
      pools: [['10.0.0.1', '10.0.0.99'], ['10.0.0.101', '10.0.0.254']],
    },
    { name: 'last usable gateway', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.254' }, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.254', pools: [['10.0.0.1', '10.0.0.253']] },
    { name: 'gateway outside the cidr', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.1.1' }, cidr: '10.0.0.0/24', gatewayIp: '10.0.1.1', pools: [['10.0.0.1', '10.0.0.254']] },
    {
      name: 'IPv6 /64: gateway is the network address, pool from network + 1 to the last address',
      request: { ipVersion: 6, cidr: '2001:DB8::/64' },
      cidr: '2001:db8::/64',
      gatewayIp: '2001:db8::',
      pools: [['2001:db8::1', '2001:db8::ffff:ffff:ffff:ffff']],
    },
    {
      name: 'IPv6 explicit ::1 gateway',
      request: { ipVersion: 6, cidr: '2001:db8::/64', gatewayIp: '2001:db8::1' },
      cidr: '2001:db8::/64',
      gatewayIp: '2001:db8::1',
      pools: [['2001:db8::2', '2001:db8::ffff:ffff:ffff:ffff']],
    },
    { name: 'IPv6 /126 with DHCP', request: { ipVersion: 6, cidr: '2001:db8::/126' }, cidr: '2001:db8::/126', gatewayIp: '2001:db8::', pools: [['2001:db8::1', '2001:db8::3']] },
    {
      name: 'IPv6 /128 without DHCP',
      request: { ipVersion: 6, cidr: '2001:db8::5/128', enableDhcp: false },
      cidr: '2001:db8::5/128',
      gatewayIp: '2001:db8::5',
      pools: [['2001:db8::5', '2001:db8::5']],
    },
    { name: 'explicit empty pools', request: { ipVersion: 4, cidr: '10.0.0.0/24', allocationPools: [] }, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', pools: [] },
    { name: 'null pools', request: { ipVersion: 4, cidr: '10.0.0.0/24', allocationPools: null }, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', pools: [] },
    {
      name: 'given pools come back sorted and canonical',
      request: {
        ipVersion: 6,
        cidr: '2001:db8::/64',
        allocationPools: [
          { start: '2001:DB8::100', end: '2001:db8::1ff' },
          { start: '2001:db8::10', end: '2001:db8::20' },
        ],
      },
      cidr: '2001:db8::/64',
      gatewayIp: '2001:db8::',
      pools: [['2001:db8::10', '2001:db8::20'], ['2001:db8::100', '2001:db8::1ff']],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const subnet = create(c.request);
      assert.equal(subnet.cidr, c.cidr);
      assert.equal(subnet.gatewayIp, c.gatewayIp);
      assert.deepEqual(subnet.allocationPools, c.pools.map(([start, end]) => ({ start, end })));
    });
  }

  it('fills the other defaults', () => {
    assert.deepEqual(create({ ipVersion: 4, cidr: '10.0.0.0/24' }), {
      ipVersion: 4,
      cidr: '10.0.0.0/24',
      gatewayIp: '10.0.0.1',
      allocationPools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
      enableDhcp: true,
      ipv6RaMode: null,
      ipv6AddressMode: null,
      dnsNameservers: [],
      hostRoutes: [],
    });
  });
});

describe('subnet create: rejected requests', () => {
  const cases: { name: string; request: Omit<SubnetCreateRequest, 'networkId'>; others?: string[]; error: ExpectedError }[] = [
    { name: 'malformed cidr', request: { ipVersion: 4, cidr: '10.0.0.0/40' }, error: invalidInput('10.0.0.0/40 is not in a CIDR format') },
    { name: 'IPv6 cidr for ip_version 4', request: { ipVersion: 4, cidr: '2001:db8::/64' }, error: invalidInput("cidr '2001:db8::/64' does not match the ip_version '4'") },
    { name: 'IPv4 cidr for ip_version 6', request: { ipVersion: 6, cidr: '10.0.0.0/24' }, error: invalidInput("cidr '10.0.0.0/24' does not match the ip_version '6'") },
    { name: 'IPv4 /0', request: { ipVersion: 4, cidr: '0.0.0.0/0', enableDhcp: false }, error: invalidInput('0 is not allowed as CIDR prefix length') },
    { name: 'IPv6 ::/0', request: { ipVersion: 6, cidr: '::/0', enableDhcp: false }, error: invalidInput("IPv6 subnet '::' is not supported") },
    { name: 'IPv6 ::/64', request: { ipVersion: 6, cidr: '::/64' }, error: invalidInput("IPv6 subnet '::' is not supported") },
    { name: 'IPv4 /31 with DHCP', request: { ipVersion: 4, cidr: '10.0.0.0/31' }, error: invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled') },
    { name: 'IPv4 /32 with DHCP', request: { ipVersion: 4, cidr: '10.0.0.1/32' }, error: invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled') },
    { name: 'IPv6 /127 with DHCP', request: { ipVersion: 6, cidr: '2001:db8::/127' }, error: invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled') },
    { name: 'IPv6 /128 with DHCP', request: { ipVersion: 6, cidr: '2001:db8::1/128' }, error: invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled') },
    { name: 'IPv4 multicast with DHCP', request: { ipVersion: 4, cidr: '224.0.0.0/24' }, error: invalidInput('Multicast IP subnet is not supported if enable_dhcp is True') },
    { name: 'IPv6 multicast with DHCP', request: { ipVersion: 6, cidr: 'ff02::/64' }, error: invalidInput('Multicast IP subnet is not supported if enable_dhcp is True') },
    { name: 'IPv4 loopback with DHCP', request: { ipVersion: 4, cidr: '127.0.0.0/24' }, error: invalidInput('Loopback IP subnet is not supported if enable_dhcp is True') },
    { name: 'IPv4 starting at 0.0.0.0 with DHCP', request: { ipVersion: 4, cidr: '0.0.0.0/8' }, error: invalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.") },
    {
      name: 'IPv4 /31 default gateway is its broadcast address',
      request: { ipVersion: 4, cidr: '10.0.0.0/31', enableDhcp: false },
      error: { status: 409, type: 'IpamValueInvalid', message: 'Gateway IP 10.0.0.1 cannot be the network or broadcast IP address 10.0.0.0/31' },
    },
    { name: 'gateway of the other version', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '2001:db8::1' }, error: invalidInput("gateway_ip '2001:db8::1' does not match the ip_version '4'") },
    { name: 'gateway = IPv4 network address', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.0' }, error: invalidInput('Gateway is not valid on subnet') },
    { name: 'gateway = IPv4 broadcast address', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.255' }, error: invalidInput('Gateway is not valid on subnet') },
    { name: 'gateway not an address', request: { ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.300' }, error: badRequest("Invalid input for gateway_ip. Reason: '10.0.0.300' is not a valid IP address.") },
    {
      name: 'overlap with a subnet of the same network',
      request: { ipVersion: 4, cidr: '10.0.0.128/25' },
      others: ['192.168.0.0/24', '10.0.0.0/24'],
      error: invalidInput('Requested subnet with cidr: 10.0.0.128/25 for network: net-1 overlaps with another subnet'),
    },
    {
      name: 'IPv6 overlap',
      request: { ipVersion: 6, cidr: '2001:db8::/64' },
      others: ['2001:db8::/48'],
      error: invalidInput(/overlaps with another subnet/),
    },
  ];
  for (const c of cases) {
    it(c.name, () => expectNeutronError(() => create(c.request, c.others), c.error));
  }

  it('accepts adjacent cidrs, other versions and the prefix delegation placeholder on the network', () => {
    const subnet = create({ ipVersion: 4, cidr: '10.0.1.0/24' }, ['10.0.0.0/24', '10.0.2.0/24', '::/64', '2001:db8::/64']);
    assert.equal(subnet.cidr, '10.0.1.0/24');
    assert.equal(create({ ipVersion: 6, cidr: '::1:0:0:0:0/64', enableDhcp: true }, ['::/64']).cidr, '0:0:0:1::/64');
  });

  it('accepts multicast and loopback ranges without DHCP', () => {
    assert.equal(create({ ipVersion: 4, cidr: '224.0.0.0/24', enableDhcp: false }).cidr, '224.0.0.0/24');
    assert.equal(create({ ipVersion: 4, cidr: '127.0.0.0/24', enableDhcp: false }).cidr, '127.0.0.0/24');
  });
});

describe('subnet create: allocation pools', () => {
  const v4 = { ipVersion: 4, cidr: '10.0.0.0/24' } as const;
  const cases: { name: string; request: Omit<SubnetCreateRequest, 'networkId'>; error: ExpectedError }[] = [
    {
      name: 'start after end',
      request: { ...v4, allocationPools: [{ start: '10.0.0.50', end: '10.0.0.10' }] },
      error: { status: 400, type: 'InvalidAllocationPool', message: "The allocation pool {'start': '10.0.0.50', 'end': '10.0.0.10'} is not valid." },
    },
    {
      name: 'not an address',
      request: { ...v4, allocationPools: [{ start: '10.0.0.x', end: '10.0.0.10' }] },
      error: { status: 400, type: 'InvalidAllocationPool', message: /10\.0\.0\.x/ },
    },
    {
      name: 'mixed versions',
      request: { ...v4, allocationPools: [{ start: '10.0.0.2', end: '2001:db8::1' }] },
      error: { status: 400, type: 'InvalidAllocationPool' },
    },
    {
      name: 'pool of the other version',
      request: { ...v4, allocationPools: [{ start: '2001:db8::2', end: '2001:db8::9' }] },
      error: { status: 400, type: 'InvalidAllocationPool', message: 'The allocation pool 2001:db8::2-2001:db8::9 is not valid.' },
    },
    {
      name: 'pool holding the IPv4 network address',
      request: { ...v4, allocationPools: [{ start: '10.0.0.0', end: '10.0.0.10' }] },
      error: { status: 400, type: 'OutOfBoundsAllocationPool', message: 'The allocation pool 10.0.0.0-10.0.0.10 spans beyond the subnet cidr 10.0.0.0/24.' },
    },
    {
      name: 'pool holding the IPv4 broadcast address',
      request: { ...v4, allocationPools: [{ start: '10.0.0.200', end: '10.0.0.255' }] },
      error: { status: 400, type: 'OutOfBoundsAllocationPool' },
    },
    {
      name: 'pool beyond the cidr',
      request: { ...v4, allocationPools: [{ start: '10.0.0.200', end: '10.0.1.5' }] },
      error: { status: 400, type: 'OutOfBoundsAllocationPool' },
    },
    {
      name: 'IPv6 pool holding the network address',
      request: { ipVersion: 6, cidr: '2001:db8::/64', gatewayIp: null, allocationPools: [{ start: '2001:db8::', end: '2001:db8::10' }] },
      error: { status: 400, type: 'OutOfBoundsAllocationPool' },
    },
    {
      name: 'overlapping pools',
      request: {
        ...v4,
        allocationPools: [
          { start: '10.0.0.20', end: '10.0.0.40' },
          { start: '10.0.0.60', end: '10.0.0.70' },
          { start: '10.0.0.30', end: '10.0.0.50' },
        ],
      },
      error: {
        status: 409,
        type: 'OverlappingAllocationPools',
        message: 'Found overlapping allocation pools: 10.0.0.20-10.0.0.40 and 10.0.0.30-10.0.0.50 for subnet 10.0.0.0/24.',
      },
    },
    {
      name: 'default gateway inside a given pool',
      request: { ...v4, allocationPools: [{ start: '10.0.0.1', end: '10.0.0.10' }] },
      error: { status: 409, type: 'GatewayConflictWithAllocationPools', message: 'Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.10.' },
    },
    {
      name: 'explicit gateway inside a given pool',
      request: { ...v4, gatewayIp: '10.0.0.5', allocationPools: [{ start: '10.0.0.2', end: '10.0.0.10' }] },
      error: { status: 409, type: 'GatewayConflictWithAllocationPools' },
    },
    {
      name: 'IPv6 default gateway is never in a valid pool, but an explicit one can be',
      request: { ipVersion: 6, cidr: '2001:db8::/64', gatewayIp: '2001:db8::5', allocationPools: [{ start: '2001:db8::2', end: '2001:db8::9' }] },
      error: { status: 409, type: 'GatewayConflictWithAllocationPools', message: 'Gateway ip 2001:db8::5 conflicts with allocation pool 2001:db8::2-2001:db8::9.' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => expectNeutronError(() => create(c.request), c.error));
  }

  it('allows a pool that touches but does not hold the gateway, and pools outside its neighbours', () => {
    const subnet = create({
      ...v4,
      allocationPools: [
        { start: '10.0.0.2', end: '10.0.0.10' },
        { start: '10.0.0.11', end: '10.0.0.254' },
      ],
    });
    assert.equal(subnet.allocationPools.length, 2);
  });

  it('allows a whole-/31 pool without a gateway', () => {
    const subnet = create({ ipVersion: 4, cidr: '10.0.0.0/31', enableDhcp: false, gatewayIp: null, allocationPools: [{ start: '10.0.0.0', end: '10.0.0.1' }] });
    assert.deepEqual(subnet.allocationPools, [{ start: '10.0.0.0', end: '10.0.0.1' }]);
  });
});

describe('subnet create: IPv6 modes', () => {
  const cases: { name: string; request: Omit<SubnetCreateRequest, 'networkId'>; error?: ExpectedError }[] = [
    { name: 'IPv4 with ipv6_ra_mode', request: { ipVersion: 4, cidr: '10.0.0.0/24', ipv6RaMode: 'slaac' }, error: invalidInput('ipv6_ra_mode is not valid when ip_version is 4') },
    { name: 'IPv4 with ipv6_address_mode', request: { ipVersion: 4, cidr: '10.0.0.0/24', ipv6AddressMode: 'dhcpv6-stateful' }, error: invalidInput('ipv6_address_mode is not valid when ip_version is 4') },
    {
      name: 'modes without DHCP',
      request: { ipVersion: 6, cidr: '2001:db8::/64', enableDhcp: false, ipv6AddressMode: 'slaac' },
      error: invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False'),
    },
    {
      name: 'different modes',
      request: { ipVersion: 6, cidr: '2001:db8::/64', ipv6RaMode: 'slaac', ipv6AddressMode: 'dhcpv6-stateful' },
      error: invalidInput(
        "ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value",
      ),
    },
    {
      name: 'slaac on a /80',
      request: { ipVersion: 6, cidr: '2001:db8::/80', ipv6AddressMode: 'slaac' },
      error: invalidInput('Invalid CIDR 2001:db8::/80 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64'),
    },
    { name: 'dhcpv6-stateless ra mode on a /56', request: { ipVersion: 6, cidr: '2001:db8::/56', ipv6RaMode: 'dhcpv6-stateless' }, error: invalidInput(/requires the prefix to be \/64/) },
    { name: 'dhcpv6-stateful on a /80', request: { ipVersion: 6, cidr: '2001:db8::/80', ipv6RaMode: 'dhcpv6-stateful', ipv6AddressMode: 'dhcpv6-stateful' } },
    { name: 'slaac on a /64', request: { ipVersion: 6, cidr: '2001:db8::/64', ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' } },
    { name: 'only an address mode', request: { ipVersion: 6, cidr: '2001:db8::/64', ipv6AddressMode: 'dhcpv6-stateless' } },
    { name: 'no modes without DHCP', request: { ipVersion: 6, cidr: '2001:db8::/64', enableDhcp: false } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.error !== undefined) expectNeutronError(() => create(c.request), c.error);
      else assert.equal(create(c.request).ipVersion, 6);
    });
  }
});

describe('subnet create: dns_nameservers and host_routes', () => {
  const v4 = { ipVersion: 4, cidr: '10.0.0.0/24' } as const;

  it('keeps nameservers in order, canonical', () => {
    assert.deepEqual(create({ ipVersion: 6, cidr: '2001:db8::/64', dnsNameservers: ['2001:4860:4860::8888', '2001:DB8::53'] }).dnsNameservers, [
      '2001:4860:4860::8888',
      '2001:db8::53',
    ]);
  });

  it('canonicalises host routes', () => {
    assert.deepEqual(create({ ...v4, hostRoutes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.254' }] }).hostRoutes, [
      { destination: '192.168.0.0/16', nexthop: '10.0.0.254' },
    ]);
  });

  const cases: { name: string; request: Omit<SubnetCreateRequest, 'networkId'>; error: ExpectedError }[] = [
    {
      name: 'nameserver not an address',
      request: { ...v4, dnsNameservers: ['8.8.8.x'] },
      error: badRequest("Invalid input for dns_nameservers. Reason: '8.8.8.x' is not a valid nameserver. '8.8.8.x' is not a valid IP address."),
    },
    { name: 'duplicate nameserver', request: { ...v4, dnsNameservers: ['8.8.8.8', '1.1.1.1', '8.8.8.8'] }, error: badRequest("Invalid input for dns_nameservers. Reason: Duplicate nameserver '8.8.8.8'.") },
    {
      name: 'too many nameservers',
      request: { ...v4, dnsNameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] },
      error: {
        status: 400,
        type: 'DNSNameServersExhausted',
        message: 'Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 3.',
      },
    },
    { name: 'nameserver of the other version', request: { ...v4, dnsNameservers: ['2001:db8::53'] }, error: invalidInput("dns_nameserver '2001:db8::53' does not match the ip_version '4'") },
    { name: 'route destination with host bits', request: { ...v4, hostRoutes: [{ destination: '192.168.1.1/16', nexthop: '10.0.0.254' }] }, error: badRequest("Invalid input for host_routes. Reason: '192.168.1.1/16' is not a valid CIDR.") },
    { name: 'route destination without prefix', request: { ...v4, hostRoutes: [{ destination: '192.168.1.1', nexthop: '10.0.0.254' }] }, error: badRequest(/is not a valid CIDR/) },
    { name: 'loopback route destination', request: { ...v4, hostRoutes: [{ destination: '127.0.0.0/8', nexthop: '10.0.0.254' }] }, error: badRequest("Invalid input for host_routes. Reason: '127.0.0.0/8' is not a routable CIDR.") },
    { name: 'route nexthop not an address', request: { ...v4, hostRoutes: [{ destination: '192.168.0.0/16', nexthop: 'gw' }] }, error: badRequest("Invalid input for host_routes. Reason: 'gw' is not a valid IP address.") },
    {
      name: 'duplicate route',
      request: {
        ...v4,
        hostRoutes: [
          { destination: '192.168.0.0/16', nexthop: '10.0.0.254' },
          { destination: '192.168.0.0/16', nexthop: '10.0.0.254' },
        ],
      },
      error: badRequest("Invalid input for host_routes. Reason: Duplicate hostroute '{'destination': '192.168.0.0/16', 'nexthop': '10.0.0.254'}'."),
    },
    {
      name: 'too many routes',
      request: {
        ...v4,
        hostRoutes: [
          { destination: '192.168.0.0/24', nexthop: '10.0.0.254' },
          { destination: '192.168.1.0/24', nexthop: '10.0.0.254' },
          { destination: '192.168.2.0/24', nexthop: '10.0.0.254' },
        ],
      },
      error: { status: 400, type: 'HostRoutesExhausted', message: 'Unable to complete operation for new subnet. The number of host routes exceeds the limit 2.' },
    },
    { name: 'route nexthop of the other version', request: { ...v4, hostRoutes: [{ destination: '192.168.0.0/16', nexthop: '2001:db8::1' }] }, error: invalidInput("nexthop '2001:db8::1' does not match the ip_version '4'") },
    { name: 'route destination of the other version', request: { ...v4, hostRoutes: [{ destination: '2001:db8::/64', nexthop: '10.0.0.1' }] }, error: invalidInput("destination '2001:db8::/64' does not match the ip_version '4'") },
  ];
  for (const c of cases) {
    it(c.name, () => expectNeutronError(() => create(c.request), c.error));
  }
});

describe('subnet update', () => {
  const stored: StoredSubnet = {
    id: 'subnet-1',
    ipVersion: 4,
    cidr: '10.0.0.0/24',
    gatewayIp: '10.0.0.1',
    allocationPools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
    enableDhcp: true,
    ipv6RaMode: null,
    ipv6AddressMode: null,
    dnsNameservers: ['8.8.8.8'],
    hostRoutes: [],
  };
  const slaac: StoredSubnet = {
    ...stored,
    id: 'subnet-6',
    ipVersion: 6,
    cidr: '2001:db8::/64',
    gatewayIp: '2001:db8::',
    allocationPools: [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }],
    ipv6RaMode: 'slaac',
    ipv6AddressMode: 'slaac',
    dnsNameservers: [],
  };
  const update = (request: SubnetUpdateRequest, base: StoredSubnet = stored) => resolveSubnetUpdate(base, request, limits);

  it('changes nothing for an empty request', () => {
    const { subnet, gatewayChanged } = update({});
    const { id: _id, ...rest } = stored;
    assert.deepEqual(subnet, rest);
    assert.equal(gatewayChanged, false);
  });

  it('a new gateway inside the stored pools -> 409', () => {
    expectNeutronError(() => update({ gatewayIp: '10.0.0.50' }), {
      status: 409,
      type: 'GatewayConflictWithAllocationPools',
      message: 'Gateway ip 10.0.0.50 conflicts with allocation pool 10.0.0.2-10.0.0.254.',
    });
  });

  it('a new gateway with new pools that leave it out', () => {
    const { subnet, gatewayChanged } = update({ gatewayIp: '10.0.0.254', allocationPools: [{ start: '10.0.0.2', end: '10.0.0.253' }] });
    assert.equal(subnet.gatewayIp, '10.0.0.254');
    assert.deepEqual(subnet.allocationPools, [{ start: '10.0.0.2', end: '10.0.0.253' }]);
    assert.equal(gatewayChanged, true);
  });

  it('new pools holding the stored gateway -> 409', () => {
    expectNeutronError(() => update({ allocationPools: [{ start: '10.0.0.1', end: '10.0.0.9' }] }), { status: 409, type: 'GatewayConflictWithAllocationPools' });
  });

  it('new pools are validated like at create', () => {
    expectNeutronError(() => update({ allocationPools: [{ start: '10.0.0.2', end: '10.0.1.9' }] }), { status: 400, type: 'OutOfBoundsAllocationPool' });
    expectNeutronError(() => update({ allocationPools: [{ start: '10.0.0.9', end: '10.0.0.2' }] }), { status: 400, type: 'InvalidAllocationPool' });
    expectNeutronError(
      () =>
        update({
          allocationPools: [
            { start: '10.0.0.2', end: '10.0.0.9' },
            { start: '10.0.0.9', end: '10.0.0.20' },
          ],
        }),
      { status: 409, type: 'OverlappingAllocationPools' },
    );
  });

  it('null pools empty the subnet', () => {
    assert.deepEqual(update({ allocationPools: null }).subnet.allocationPools, []);
  });

  it('removing the gateway, without regenerating pools', () => {
    const { subnet, gatewayChanged } = update({ gatewayIp: null });
    assert.equal(subnet.gatewayIp, null);
    assert.deepEqual(subnet.allocationPools, stored.allocationPools);
    assert.equal(gatewayChanged, true);
  });

  it('the same gateway in another spelling is no change', () => {
    assert.equal(update({ gatewayIp: '2001:DB8:0::' }, slaac).gatewayChanged, false);
  });

  it('a gateway outside the cidr is allowed', () => {
    assert.equal(update({ gatewayIp: '192.168.0.1' }).subnet.gatewayIp, '192.168.0.1');
  });

  it('gateway on the broadcast address or of the other version -> 400', () => {
    expectNeutronError(() => update({ gatewayIp: '10.0.0.255' }), invalidInput('Gateway is not valid on subnet'));
    expectNeutronError(() => update({ gatewayIp: '2001:db8::1' }), invalidInput("gateway_ip '2001:db8::1' does not match the ip_version '4'"));
  });

  it('disabling DHCP while IPv6 modes are set -> 400', () => {
    expectNeutronError(() => update({ enableDhcp: false }, slaac), invalidInput('Cannot disable enable_dhcp with ipv6 attributes set'));
  });

  it('disabling DHCP without IPv6 modes', () => {
    assert.equal(update({ enableDhcp: false }).subnet.enableDhcp, false);
  });

  it('enabling DHCP re-checks the cidr', () => {
    const p2p: StoredSubnet = { ...stored, cidr: '10.0.0.0/31', gatewayIp: null, enableDhcp: false, allocationPools: [{ start: '10.0.0.0', end: '10.0.0.1' }] };
    expectNeutronError(() => update({ enableDhcp: true }, p2p), invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled'));
    assert.equal(update({ enableDhcp: true }, { ...stored, enableDhcp: false }).subnet.enableDhcp, true);
  });

  it('nameservers and routes replace the stored lists, limits name the subnet', () => {
    const { subnet } = update({ dnsNameservers: ['1.1.1.1', '9.9.9.9'], hostRoutes: [{ destination: '0.0.0.0/0', nexthop: '10.0.0.254' }] });
    assert.deepEqual(subnet.dnsNameservers, ['1.1.1.1', '9.9.9.9']);
    assert.deepEqual(subnet.hostRoutes, [{ destination: '0.0.0.0/0', nexthop: '10.0.0.254' }]);
    assert.deepEqual(update({ dnsNameservers: null }).subnet.dnsNameservers, []);
    expectNeutronError(() => update({ dnsNameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] }), {
      status: 400,
      type: 'DNSNameServersExhausted',
      message: 'Unable to complete operation for subnet-1. The number of DNS nameservers exceeds the limit 3.',
    });
    expectNeutronError(
      () =>
        update({
          hostRoutes: [
            { destination: '10.1.0.0/16', nexthop: '10.0.0.254' },
            { destination: '10.2.0.0/16', nexthop: '10.0.0.254' },
            { destination: '10.3.0.0/16', nexthop: '10.0.0.254' },
          ],
        }),
      { status: 400, type: 'HostRoutesExhausted', message: /subnet-1/ },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eui64Address } from '../../../src/plugins/ipam/eui64.js';
import {
  isValidIpForSubnet,
  planFixedIps,
  prefersNextAddress,
  updateFixedIps,
  type FixedIpPlanItem,
  type FixedIpRequest,
  type PortAddressing,
  type PortSubnet,
} from '../../../src/plugins/ipam/fixedIpsRequest.js';
import { parseIp } from '../../../src/plugins/ipam/address.js';
import type { FixedIp } from '../../../src/plugins/ipam/types.js';
import { expectNeutronError } from './expectError.js';

const MAC = 'fa:16:3e:33:44:55';
const NEW_MAC = 'fa:16:3e:aa:bb:cc';

const v4a: PortSubnet = { id: 'v4a', cidr: '10.0.0.0/24', ipVersion: 4 };
const v4b: PortSubnet = { id: 'v4b', cidr: '10.0.1.0/24', ipVersion: 4 };
const v6stateful: PortSubnet = { id: 'v6stateful', cidr: '2001:db8:1::/64', ipVersion: 6, ipv6RaMode: 'dhcpv6-stateful', ipv6AddressMode: 'dhcpv6-stateful' };
const v6plain: PortSubnet = { id: 'v6plain', cidr: '2001:db8:2::/64', ipVersion: 6 };
const slaac: PortSubnet = { id: 'slaac', cidr: '2001:db8:3::/64', ipVersion: 6, ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' };
const stateless: PortSubnet = { id: 'stateless', cidr: '2001:db8:4::/64', ipVersion: 6, ipv6RaMode: 'dhcpv6-stateless' };
const p2p: PortSubnet = { id: 'p2p', cidr: '10.9.0.0/31', ipVersion: 4 };

const SLAAC_IP = '2001:db8:3:0:f816:3eff:fe33:4455';
const STATELESS_IP = '2001:db8:4:0:f816:3eff:fe33:4455';

const ALL = [v4a, v4b, v6stateful, v6plain, slaac, stateless];

function port(overrides: Partial<PortAddressing> = {}): PortAddressing {
  return { networkId: 'net-1', subnets: ALL, deviceOwner: 'compute:nova', macAddress: MAC, ...overrides };
}

const plan = (requested: readonly FixedIpRequest[] | undefined, overrides: Partial<PortAddressing> = {}): FixedIpPlanItem[] =>
  planFixedIps(requested, port(overrides));

describe('planFixedIps: fixed_ips not given', () => {
  it('one IPv4 from the first subnet with room, one stateful IPv6, EUI-64 on every SLAAC/stateless subnet', () => {
    assert.deepEqual(plan(undefined), [
      { kind: 'any-of', subnetIds: ['v4a', 'v4b'] },
      { kind: 'any-of', subnetIds: ['v6stateful', 'v6plain'] },
      { kind: 'slaac', subnetId: 'slaac', ipAddress: SLAAC_IP },
      { kind: 'slaac', subnetId: 'stateless', ipAddress: STATELESS_IP },
    ]);
  });

  it('router interfaces get no SLAAC address', () => {
    assert.deepEqual(plan(undefined, { deviceOwner: 'network:router_interface' }), [
      { kind: 'any-of', subnetIds: ['v4a', 'v4b'] },
      { kind: 'any-of', subnetIds: ['v6stateful', 'v6plain'] },
    ]);
  });

  it('a network without subnets gives no address', () => {
    assert.deepEqual(plan(undefined, { subnets: [] }), []);
  });

  it('an IPv6-only SLAAC network', () => {
    assert.deepEqual(plan(undefined, { subnets: [slaac] }), [{ kind: 'slaac', subnetId: 'slaac', ipAddress: SLAAC_IP }]);
  });
});

describe('planFixedIps: service types', () => {
  const gwOnly: PortSubnet = { ...v4b, serviceTypes: ['network:router_gateway'] };

  it('skips subnets reserved for other device owners', () => {
    assert.deepEqual(plan(undefined, { subnets: [v4a, gwOnly] }), [{ kind: 'any-of', subnetIds: ['v4a'] }]);
  });

  it('puts subnets of the port own service type first', () => {
    assert.deepEqual(plan(undefined, { subnets: [v4a, gwOnly], deviceOwner: 'network:router_gateway' }), [{ kind: 'any-of', subnetIds: ['v4b', 'v4a'] }]);
  });

  it('lets DHCP ports use service subnets with DHCP on', () => {
    assert.deepEqual(plan(undefined, { subnets: [{ ...gwOnly, enableDhcp: true }], deviceOwner: 'network:dhcp' }), [{ kind: 'any-of', subnetIds: ['v4b'] }]);
  });

  it('409 when no subnet serves the device owner', () => {
    expectNeutronError(() => plan(undefined, { subnets: [gwOnly] }), {
      status: 409,
      type: 'IpAddressGenerationFailureNoMatchingSubnet',
      message: 'No valid service subnet for the given device owner, network net-1, service type compute:nova.',
    });
  });

  it('a subnet reserved for others is invalid when named', () => {
    expectNeutronError(() => plan([{ subnetId: 'v4b' }], { subnets: [v4a, gwOnly] }), { status: 400, type: 'InvalidInput', message: /invalid subnet v4b/ });
  });
});

describe('planFixedIps: requested fixed_ips', () => {
  const ok: { name: string; requested: FixedIpRequest[]; overrides?: Partial<PortAddressing>; expected: FixedIpPlanItem[] }[] = [
    { name: '[] means no address', requested: [], expected: [] },
    { name: '[] on a SLAAC network still means no address', requested: [], overrides: { subnets: [slaac] }, expected: [] },
    { name: '{subnet_id}: next free there', requested: [{ subnetId: 'v4b' }], overrides: { subnets: [v4a, v4b] }, expected: [{ kind: 'any', subnetId: 'v4b' }] },
    {
      name: 'the same subnet twice: two addresses',
      requested: [{ subnetId: 'v4a' }, { subnetId: 'v4a' }],
      overrides: { subnets: [v4a] },
      expected: [
        { kind: 'any', subnetId: 'v4a' },
        { kind: 'any', subnetId: 'v4a' },
      ],
    },
    { name: '{ip_address}: subnet inferred', requested: [{ ipAddress: '10.0.1.7' }], overrides: { subnets: [v4a, v4b] }, expected: [{ kind: 'explicit', subnetId: 'v4b', ipAddress: '10.0.1.7' }] },
    {
      name: 'both, matching; IPv6 canonicalised',
      requested: [{ subnetId: 'v6plain', ipAddress: '2001:DB8:2:0::10' }],
      overrides: { subnets: [v6plain] },
      expected: [{ kind: 'explicit', subnetId: 'v6plain', ipAddress: '2001:db8:2::10' }],
    },
    { name: 'an address outside the pools (the gateway) is fine', requested: [{ ipAddress: '10.0.0.1' }], overrides: { subnets: [v4a] }, expected: [{ kind: 'explicit', subnetId: 'v4a', ipAddress: '10.0.0.1' }] },
    {
      name: 'explicit addresses come before any',
      requested: [{ subnetId: 'v4a' }, { ipAddress: '10.0.0.9' }],
      overrides: { subnets: [v4a] },
      expected: [
        { kind: 'explicit', subnetId: 'v4a', ipAddress: '10.0.0.9' },
        { kind: 'any', subnetId: 'v4a' },
      ],
    },
    {
      name: 'SLAAC subnets not named still get their EUI-64 address',
      requested: [{ subnetId: 'v4a' }],
      overrides: { subnets: [v4a, slaac] },
      expected: [
        { kind: 'any', subnetId: 'v4a' },
        { kind: 'slaac', subnetId: 'slaac', ipAddress: SLAAC_IP },
      ],
    },
    {
      name: '{subnet_id} of a SLAAC subnet gives the EUI-64 address',
      requested: [{ subnetId: 'slaac' }],
      overrides: { subnets: [slaac] },
      expected: [{ kind: 'slaac', subnetId: 'slaac', ipAddress: SLAAC_IP }],
    },
    {
      name: 'the port own EUI-64 address on a SLAAC subnet is accepted once',
      requested: [{ ipAddress: SLAAC_IP }],
      overrides: { subnets: [slaac] },
      expected: [{ kind: 'explicit', subnetId: 'slaac', ipAddress: SLAAC_IP }],
    },
    {
      name: 'a router interface may take any address on a SLAAC subnet',
      requested: [{ subnetId: 'slaac', ipAddress: '2001:db8:3::1' }],
      overrides: { subnets: [slaac], deviceOwner: 'network:router_interface' },
      expected: [{ kind: 'explicit', subnetId: 'slaac', ipAddress: '2001:db8:3::1' }],
    },
    {
      name: 'a router interface naming a SLAAC subnet gets a pool address',
      requested: [{ subnetId: 'slaac' }],
      overrides: { subnets: [slaac], deviceOwner: 'network:router_interface' },
      expected: [{ kind: 'any', subnetId: 'slaac' }],
    },
    {
      name: 'IPv6 network address for a router port',
      requested: [{ ipAddress: '2001:db8:2::' }],
      overrides: { subnets: [v6plain], deviceOwner: 'network:router_gateway' },
      expected: [{ kind: 'explicit', subnetId: 'v6plain', ipAddress: '2001:db8:2::' }],
    },
    { name: '/31: the second address is valid', requested: [{ ipAddress: '10.9.0.1' }], overrides: { subnets: [p2p] }, expected: [{ kind: 'explicit', subnetId: 'p2p', ipAddress: '10.9.0.1' }] },
    { name: 'within the fixed-ip limit', requested: [{ subnetId: 'v4a' }, { subnetId: 'v4a' }], overrides: { subnets: [v4a], maxFixedIpsPerPort: 2 }, expected: [{ kind: 'any', subnetId: 'v4a' }, { kind: 'any', subnetId: 'v4a' }] },
  ];
  for (const c of ok) {
    it(c.name, () => assert.deepEqual(plan(c.requested, c.overrides), c.expected));
  }

  const errors: { name: string; requested: FixedIpRequest[]; overrides?: Partial<PortAddressing>; status: number; type: string; message?: string | RegExp }[] = [
    {
      name: 'subnet of another network',
      requested: [{ subnetId: 'elsewhere' }],
      status: 400,
      type: 'InvalidInput',
      message: 'Invalid input for operation: Failed to create port on network net-1, because fixed_ips included invalid subnet elsewhere.',
    },
    { name: 'subnet that does not exist', requested: [{ subnetId: 'nowhere' }], overrides: { subnetExists: () => false }, status: 404, type: 'SubnetNotFound', message: 'Subnet nowhere could not be found.' },
    {
      name: 'address on no subnet of the network',
      requested: [{ ipAddress: '192.168.0.1' }],
      status: 400,
      type: 'InvalidIpForNetwork',
      message: 'IP address 192.168.0.1 is not a valid IP for any of the subnets on the specified network.',
    },
    {
      name: 'address of another subnet',
      requested: [{ subnetId: 'v4a', ipAddress: '10.0.1.7' }],
      status: 400,
      type: 'InvalidIpForSubnet',
      message: 'IP address 10.0.1.7 is not a valid IP for the specified subnet.',
    },
    { name: 'IPv4 network address with subnet', requested: [{ subnetId: 'v4a', ipAddress: '10.0.0.0' }], status: 400, type: 'InvalidIpForSubnet' },
    { name: 'IPv4 broadcast address with subnet', requested: [{ subnetId: 'v4a', ipAddress: '10.0.0.255' }], status: 400, type: 'InvalidIpForSubnet' },
    { name: 'IPv4 network address alone', requested: [{ ipAddress: '10.0.0.0' }], status: 400, type: 'InvalidIpForNetwork' },
    { name: 'IPv4 broadcast address alone', requested: [{ ipAddress: '10.0.1.255' }], status: 400, type: 'InvalidIpForNetwork' },
    { name: '/31: the first (network) address is refused', requested: [{ subnetId: 'p2p', ipAddress: '10.9.0.0' }], overrides: { subnets: [p2p] }, status: 400, type: 'InvalidIpForSubnet' },
    { name: 'IPv6 network address for a compute port', requested: [{ subnetId: 'v6plain', ipAddress: '2001:db8:2::' }], status: 400, type: 'InvalidIpForSubnet' },
    { name: 'address of the other version', requested: [{ subnetId: 'v4a', ipAddress: '2001:db8:2::5' }], status: 400, type: 'InvalidIpForSubnet' },
    {
      name: 'duplicate address',
      requested: [{ ipAddress: '10.0.0.5' }, { subnetId: 'v4a', ipAddress: '10.0.0.5' }],
      status: 400,
      type: 'HTTPBadRequest',
      message: "Invalid input for fixed_ips. Reason: Duplicate IP address '10.0.0.5'.",
    },
    { name: 'duplicate address in another spelling', requested: [{ ipAddress: '2001:db8:2::5' }, { ipAddress: '2001:DB8:2:0::5' }], status: 400, type: 'HTTPBadRequest', message: /Duplicate IP address/ },
    { name: 'not an address', requested: [{ ipAddress: '10.0.0.300' }], status: 400, type: 'HTTPBadRequest', message: "Invalid input for fixed_ips. Reason: '10.0.0.300' is not a valid IP address." },
    { name: 'neither subnet nor address', requested: [{}], status: 400, type: 'InvalidInput', message: 'Invalid input for operation: IP allocation requires subnet_id or ip_address.' },
    { name: 'addresses on a network without subnets', requested: [{ ipAddress: '10.0.0.5' }], overrides: { subnets: [] }, status: 400, type: 'InvalidInput', message: /IP allocation requires subnets for network/ },
    {
      name: 'more entries than max_fixed_ips_per_port',
      requested: [{ subnetId: 'v4a' }, { subnetId: 'v4a' }, { subnetId: 'v4b' }],
      overrides: { maxFixedIpsPerPort: 2 },
      status: 400,
      type: 'InvalidInput',
      message: 'Invalid input for operation: Exceeded maximum amount of fixed ips per port.',
    },
    {
      name: 'an arbitrary address on a SLAAC subnet',
      requested: [{ subnetId: 'slaac', ipAddress: '2001:db8:3::5' }],
      status: 400,
      type: 'AllocationOnAutoAddressSubnet',
      message: 'IPv6 address 2001:db8:3::5 cannot be directly assigned to a port on subnet slaac as the subnet is configured for automatic addresses',
    },
    { name: 'an arbitrary address on a dhcpv6-stateless subnet, subnet inferred', requested: [{ ipAddress: '2001:db8:4::5' }], status: 400, type: 'AllocationOnAutoAddressSubnet' },
  ];
  for (const c of errors) {
    it(`refuses ${c.name}`, () =>
      expectNeutronError(() => plan(c.requested, c.overrides), { status: c.status, type: c.type, ...(c.message === undefined ? {} : { message: c.message }) }));
  }
});

describe('isValidIpForSubnet and prefersNextAddress', () => {
  const cases: [string, string, string, boolean][] = [
    ['10.0.0.0/24', '10.0.0.1', 'compute:nova', true],
    ['10.0.0.0/24', '10.0.0.0', 'compute:nova', false],
    ['10.0.0.0/24', '10.0.0.255', 'network:router_interface', false],
    ['10.0.0.0/30', '10.0.0.2', '', true],
    ['10.0.0.0/30', '10.0.0.3', '', false],
    ['10.0.0.0/31', '10.0.0.1', '', true],
    ['10.0.0.0/31', '10.0.0.0', '', false],
    ['10.0.0.5/32', '10.0.0.5', '', false],
    ['2001:db8::/64', '2001:db8::', '', true],
    ['2001:db8::/64', '2001:db8::', 'network:dhcp', false],
    ['2001:db8::/64', '2001:db8::', 'network:router_centralized_snat', true],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', 'compute:nova', true],
  ];
  for (const [cidr, ip, owner, expected] of cases) {
    it(`${ip} on ${cidr} for '${owner}': ${expected}`, () => {
      const parsed = parseIp(ip);
      assert.ok(parsed);
      assert.equal(isValidIpForSubnet(cidr, parsed, owner), expected);
    });
  }

  it('DHCP and distributed ports take the next free address', () => {
    assert.equal(prefersNextAddress('network:dhcp'), true);
    assert.equal(prefersNextAddress('network:distributed'), true);
    assert.equal(prefersNextAddress('compute:nova'), false);
  });
});

describe('updateFixedIps', () => {
  const v4ip: FixedIp = { subnetId: 'v4a', ipAddress: '10.0.0.5' };
  const slaacIp: FixedIp = { subnetId: 'slaac', ipAddress: SLAAC_IP };
  const current = [v4ip, slaacIp];
  const net = (overrides: Partial<PortAddressing> & { previousMacAddress?: string } = {}) => port({ subnets: [v4a, v4b, slaac], ...overrides });

  const cases: {
    name: string;
    current?: FixedIp[];
    requested: FixedIpRequest[] | undefined;
    overrides?: Partial<PortAddressing> & { previousMacAddress?: string };
    keep: FixedIp[];
    remove: FixedIp[];
    add: FixedIpPlanItem[];
  }[] = [
    { name: 'fixed_ips not in the PUT: nothing changes', requested: undefined, keep: current, remove: [], add: [] },
    { name: 'naming a held address keeps it; SLAAC stays', requested: [{ ipAddress: '10.0.0.5' }], keep: current, remove: [], add: [] },
    { name: 'the held address in another spelling', requested: [{ subnetId: 'v4a', ipAddress: '10.0.0.5' }, { ipAddress: SLAAC_IP.toUpperCase() }], keep: current, remove: [], add: [] },
    { name: '{subnet_id} alone keeps the address held there', requested: [{ subnetId: 'v4a' }], keep: current, remove: [], add: [] },
    {
      name: 'a new address on the same subnet replaces the old',
      requested: [{ subnetId: 'v4a', ipAddress: '10.0.0.6' }],
      keep: [slaacIp],
      remove: [v4ip],
      add: [{ kind: 'explicit', subnetId: 'v4a', ipAddress: '10.0.0.6' }],
    },
    { name: '[] releases everything but SLAAC addresses', requested: [], keep: [slaacIp], remove: [v4ip], add: [] },
    {
      name: 'deleteSubnet releases a SLAAC address',
      requested: [{ ipAddress: '10.0.0.5' }, { subnetId: 'slaac', deleteSubnet: true }],
      keep: [v4ip],
      remove: [slaacIp],
      add: [],
    },
    {
      name: 'moving to another subnet',
      requested: [{ subnetId: 'v4b' }],
      keep: [slaacIp],
      remove: [v4ip],
      add: [{ kind: 'any', subnetId: 'v4b' }],
    },
    {
      name: 'a second address on a subnet',
      requested: [{ subnetId: 'v4a' }, { subnetId: 'v4a' }],
      keep: current,
      remove: [],
      add: [{ kind: 'any', subnetId: 'v4a' }],
    },
    {
      name: 'a SLAAC subnet the port has no address on gets one',
      current: [v4ip],
      requested: [{ ipAddress: '10.0.0.5' }],
      keep: [v4ip],
      remove: [],
      add: [{ kind: 'slaac', subnetId: 'slaac', ipAddress: SLAAC_IP }],
    },
    {
      name: 'a router port loses a SLAAC-subnet address it does not name',
      current: [v4ip, { subnetId: 'slaac', ipAddress: '2001:db8:3::1' }],
      requested: [{ ipAddress: '10.0.0.5' }],
      overrides: { deviceOwner: 'network:router_interface' },
      keep: [v4ip],
      remove: [{ subnetId: 'slaac', ipAddress: '2001:db8:3::1' }],
      add: [],
    },
    {
      name: 'a MAC change re-derives EUI-64 addresses',
      requested: undefined,
      overrides: { macAddress: NEW_MAC, previousMacAddress: MAC },
      keep: [v4ip],
      remove: [slaacIp],
      add: [{ kind: 'slaac', subnetId: 'slaac', ipAddress: eui64Address(slaac.cidr, NEW_MAC) }],
    },
    {
      name: 'a MAC change with the old list echoed back',
      requested: [{ subnetId: 'v4a', ipAddress: '10.0.0.5' }, { subnetId: 'slaac', ipAddress: SLAAC_IP }],
      overrides: { macAddress: NEW_MAC, previousMacAddress: MAC },
      keep: [v4ip],
      remove: [slaacIp],
      add: [{ kind: 'slaac', subnetId: 'slaac', ipAddress: '2001:db8:3:0:f816:3eff:feaa:bbcc' }],
    },
    {
      name: 'the same MAC in another spelling is no change',
      requested: undefined,
      overrides: { macAddress: MAC, previousMacAddress: MAC.toUpperCase() },
      keep: current,
      remove: [],
      add: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = updateFixedIps(c.current ?? current, c.requested, net(c.overrides));
      assert.deepEqual(result, { keep: c.keep, remove: c.remove, add: c.add });
    });
  }

  it('checks new entries like a create', () => {
    expectNeutronError(() => updateFixedIps(current, [{ subnetId: 'v4a', ipAddress: '10.0.1.5' }], net()), { status: 400, type: 'InvalidIpForSubnet' });
    expectNeutronError(() => updateFixedIps(current, [{ subnetId: 'slaac', ipAddress: '2001:db8:3::9' }], net()), { status: 400, type: 'AllocationOnAutoAddressSubnet' });
    expectNeutronError(() => updateFixedIps(current, [{ ipAddress: '10.0.0.7' }, { ipAddress: '10.0.0.7' }], net()), { status: 400, type: 'HTTPBadRequest', message: /Duplicate IP address/ });
    expectNeutronError(() => updateFixedIps(current, [{ subnetId: 'v4a' }, { subnetId: 'v4a' }], net({ maxFixedIpsPerPort: 1 })), { status: 400, type: 'InvalidInput', message: /Exceeded maximum amount of fixed ips per port/ });
  });
});

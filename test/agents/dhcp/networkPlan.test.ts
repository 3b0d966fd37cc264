/**
 * The per-network diff without root: which devices, files and dnsmasq
 * actions a pass plans for what it observes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { dnsmasqArgs, networkFiles } from '../../../src/agents/dhcp/dnsmasqCommand.js';
import { addnHostsFile, hostsFile, optsFile } from '../../../src/agents/dhcp/dnsmasqFiles.js';
import { interfacePlan } from '../../../src/agents/dhcp/interfacePlan.js';
import { parseNetwork } from '../../../src/agents/dhcp/model.js';
import { namespaceGateway, servedNetworkPlan, teardownPlan, type NetworkPlanSettings, type ObservedNetwork } from '../../../src/agents/dhcp/networkPlan.js';
import { describeStep } from '../../../src/agents/dhcp/plan.js';
import { dhcpDeviceId } from '../../../src/common/dhcpDeviceId.js';

const NET = '11111111-2222-3333-4444-555555555555';
const SUB = 'aaaaaaaa-0000-0000-0000-000000000001';
const PORT = 'dddddddd-0000-0000-0000-000000000001';

const settings: NetworkPlanSettings = {
  host: 'node1',
  hostNetns: 'hostns',
  dhcpConfs: '/s/dhcp',
  files: { dnsDomain: 'openstacklocal', enableIsolatedMetadata: true, forceMetadata: false },
  command: { leaseDuration: 86400, dnsServers: [], localResolv: false, leaseMax: 1000, configFile: '', dnsDomain: 'openstacklocal', broadcastReply: false },
  metadata: { enableIsolatedMetadata: true, forceMetadata: false, enableMetadataNetwork: false },
  metadataProxySocket: '/s/metadata_proxy',
  metadataStateDir: '/s/md',
};

const dhcpPort = {
  id: PORT,
  network_id: NET,
  mac_address: 'fa:16:3e:00:00:02',
  device_owner: 'network:dhcp',
  device_id: dhcpDeviceId(NET, 'node1'),
  fixed_ips: [{ subnet_id: SUB, ip_address: '10.0.0.2' }],
};
const network = parseNetwork({
  id: NET,
  project_id: 'p',
  mtu: 1450,
  subnets: [{ id: SUB, cidr: '10.0.0.0/24', ip_version: 4, enable_dhcp: true, gateway_ip: '10.0.0.1', dns_nameservers: [], host_routes: [] }],
  ports: [dhcpPort],
});
const port = network.ports[0]!;
const files = networkFiles('/s/dhcp', NET);

const nothing: ObservedNetwork = { namespaceExists: false, iface: { tapExists: false, nsLinks: [], nsCidrs: [] }, files: {}, metadataProxyPresent: false };

const upToDate = (args = dnsmasqArgs(settings.command, network, files)): ObservedNetwork => ({
  namespaceExists: true,
  iface: {
    tapExists: true,
    nsLinks: [
      { ifname: 'lo', ifindex: 1, mtu: 65536, flags: ['UP'] },
      { ifname: 'ns-dddddddd-00', ifindex: 2, mtu: 1450, address: 'fa:16:3e:00:00:02', flags: ['UP'] },
    ],
    nsCidrs: ['10.0.0.2/24', '169.254.169.254/16'],
    defaultGateway: '10.0.0.1',
  },
  files: { host: hostsFile(settings.files, network), addnHosts: addnHostsFile(settings.files, network), opts: optsFile(settings.files, network, port) },
  dnsmasq: { pid: 42, args },
  metadataProxyPresent: true,
});

describe('network plan', () => {
  test('from nothing: namespace, veth pair, addresses, files, leases, dnsmasq, metadata proxy', () => {
    const lines = servedNetworkPlan(settings, network, port, nothing).flatMap(describeStep);
    assert.deepEqual(lines.slice(0, 8), [
      `ip netns add qdhcp-${NET}`,
      `ip -n hostns link add tapdddddddd-00 mtu 1450 type veth peer name ns-dddddddd-00 netns qdhcp-${NET}`,
      'ip -n hostns link set tapdddddddd-00 up',
      `ip -n qdhcp-${NET} link set ns-dddddddd-00 address fa:16:3e:00:00:02 mtu 1450 up`,
      `ip -n qdhcp-${NET} addr add 10.0.0.2/24 dev ns-dddddddd-00`,
      `ip -n qdhcp-${NET} addr add 169.254.169.254/16 dev ns-dddddddd-00`,
      `ip -n qdhcp-${NET} route replace default via 10.0.0.1 dev ns-dddddddd-00`,
      `ip netns exec qdhcp-${NET} iptables -t mangle -A POSTROUTING -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill`,
    ]);
    assert.ok(lines.includes(`write ${files.leases} (1 lines)`));
    assert.match(lines.find((line) => line.includes(' dnsmasq '))!, /^ip netns exec qdhcp-\S+ dnsmasq --no-hosts /);
    assert.match(lines.at(-1)!, /^metadata proxy: haproxy in qdhcp-\S+ on 169.254.169.254:80 -> \/s\/metadata_proxy/);
  });

  test('everything in place: only the (idempotent) metadata proxy check', () => {
    assert.deepEqual(
      servedNetworkPlan(settings, network, port, upToDate()).map((step) => step.kind),
      ['ensure-metadata-proxy'],
    );
  });

  test('a new port: hosts files rewritten and dnsmasq sent SIGHUP, not restarted', () => {
    const vm = { ...dhcpPort, id: 'cccccccc-0000-0000-0000-000000000001', mac_address: 'fa:16:3e:00:00:11', device_owner: 'compute:nova', device_id: 'vm', fixed_ips: [{ subnet_id: SUB, ip_address: '10.0.0.11' }] };
    const grown = parseNetwork({ ...network, ports: [dhcpPort, vm] });
    const kinds = servedNetworkPlan(settings, grown, port, upToDate()).map((step) => step.kind);
    // host and addn_hosts change; opts depend on subnets only
    assert.deepEqual(kinds, ['write-file', 'write-file', 'reload-dnsmasq', 'ensure-metadata-proxy']);
  });

  test('a changed command line (MTU) restarts dnsmasq and fixes the device MTU', () => {
    const steps = servedNetworkPlan(settings, { ...network, mtu: 1400 }, port, upToDate());
    const lines = steps.flatMap(describeStep);
    assert.ok(lines.includes(`ip -n qdhcp-${NET} link set ns-dddddddd-00 mtu 1400 up`));
    assert.ok(lines.includes('ip -n hostns link set tapdddddddd-00 mtu 1400'));
    assert.ok(steps.some((step) => step.kind === 'restart-dnsmasq'));
  });

  test('a killed dnsmasq is started again with fresh leases; stale devices in the namespace go', () => {
    const { dnsmasq: _gone, ...observed } = upToDate();
    const killed: ObservedNetwork = {
      ...observed,
      iface: { ...observed.iface, nsLinks: [...observed.iface.nsLinks, { ifname: 'ns-old', ifindex: 3, mtu: 1500, flags: [] }] },
    };
    const kinds = servedNetworkPlan(settings, network, port, killed).map((step) => step.kind);
    assert.deepEqual(kinds, ['ip', 'write-file', 'start-dnsmasq', 'ensure-metadata-proxy']);
  });

  test('interface: a lost tap recreates the pair; wrong addresses are replaced', () => {
    const observed = upToDate().iface;
    const lines = interfacePlan(
      { namespace: 'qdhcp-x', portId: PORT, mac: 'fa:16:3e:00:00:02', mtu: 1450, cidrs: ['10.0.0.3/24'], gateway: { address: '10.0.0.1', onlink: false } },
      observed,
    );
    assert.deepEqual(lines, {
      host: [],
      namespace: [
        'addr del 10.0.0.2/24 dev ns-dddddddd-00',
        'addr del 169.254.169.254/16 dev ns-dddddddd-00',
        'addr add 10.0.0.3/24 dev ns-dddddddd-00',
        'route replace default via 10.0.0.1 dev ns-dddddddd-00', // the address change took the route with it
      ],
    });
    const noTap = interfacePlan({ namespace: 'qdhcp-x', portId: PORT, mac: 'fa:16:3e:00:00:02', mtu: 0, cidrs: [] }, { ...observed, tapExists: false });
    assert.deepEqual(noTap.host, ['link add tapdddddddd-00 type veth peer name ns-dddddddd-00 netns qdhcp-x', 'link set tapdddddddd-00 up']);
    assert.equal(noTap.namespace[0], 'link del ns-dddddddd-00');
  });

  test('default route: set when missing or wrong, onlink outside the subnet, removed without a gateway', () => {
    const observed = upToDate().iface;
    const wanted = { namespace: 'qdhcp-x', portId: PORT, mac: 'fa:16:3e:00:00:02', mtu: 1450, cidrs: ['10.0.0.2/24', '169.254.169.254/16'] };
    assert.deepEqual(interfacePlan({ ...wanted, gateway: { address: '10.0.0.254', onlink: false } }, observed).namespace, [
      'route replace default via 10.0.0.254 dev ns-dddddddd-00',
    ]);
    assert.deepEqual(interfacePlan({ ...wanted, gateway: { address: '192.168.9.1', onlink: true } }, observed).namespace, [
      'route replace default via 192.168.9.1 dev ns-dddddddd-00 onlink',
    ]);
    assert.deepEqual(interfacePlan(wanted, observed).namespace, ['route del default']);
    const outside = parseNetwork({ ...network, subnets: [{ ...network.subnets[0], gateway_ip: '192.168.9.1' }] });
    assert.deepEqual(namespaceGateway(outside), { address: '192.168.9.1', onlink: true });
  });

  test('teardown: proxy, dnsmasq, namespace, the port released, the directory removed', () => {
    assert.deepEqual(teardownPlan(settings, NET, { namespaceExists: true, dnsmasq: { pid: 42, args: [] } }).flatMap(describeStep), [
      `stop the metadata proxy of network ${NET}`,
      'kill 42 (dnsmasq)',
      `ip netns delete qdhcp-${NET}`,
      `rpc release_dhcp_port network_id=${NET} device_id=${dhcpDeviceId(NET, 'node1')}`,
      `rm -r /s/dhcp/${NET}`,
    ]);
  });
});

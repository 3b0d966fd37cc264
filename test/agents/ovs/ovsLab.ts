/**
 * Simulated hosts running Open vSwitch with the userspace datapath (no
 * kernel module needed): per host a namespace with its own ovsdb-server and
 * ovs-vswitchd in a private directory (the tap devices vswitchd makes land
 * in the namespace), an underlay bridge `br-ul` holding the host's tunnel
 * address, and a physical bridge `br-eth` joined to the other hosts' by a
 * shared Linux bridge (the "physical network" that carries VLAN tags). VMs
 * are namespaces with a veth whose host end is plugged into br-int as
 * os-vif plugs it. Teardown stops the daemons and deletes the namespaces.
 *
 * TX checksum offload is off on every veth, and userspace TSO on: without
 * that, the userspace datapath passes ICMP and silently drops TCP.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';

import { hybridNames, plugVif, tapName } from '../../../src/agents/plug/vif.js';
import type { OvsAgentSettings } from '../../../src/agents/ovs/settings.js';
import { IpRoute } from '../../../src/host/ip.js';
import { OpenVswitch } from '../../../src/host/ovs.js';
import { eventually } from '../../helpers/eventually.js';
import { deleteNamespaces, sh } from '../lab.js';

export const OVS_PROGRAMS = ['ip', 'ping', 'nft', 'ovs-vsctl', 'ovs-ofctl', 'ovs-appctl', 'ovsdb-server', 'ovs-vswitchd', 'ovsdb-tool', 'ethtool', 'nc', 'tcpdump'] as const;

export interface OvsHost {
  readonly ns: string;
  readonly dir: string;
  readonly ovs: OpenVswitch;
  /** The tunnel endpoint address (on br-ul). */
  readonly tunnelIp: string;
}

/** A host without OVS (a Linux bridge host): its underlay address on `ul0`, a veth into the same underlay. */
export interface KernelHost {
  readonly ns: string;
  readonly tunnelIp: string;
}

export interface OvsLab {
  readonly prefix: string;
  readonly hosts: readonly OvsHost[];
  readonly kernelHosts: readonly KernelHost[];
  /** The shared "physical" segment's namespace (a Linux bridge `phys` joining every br-eth). */
  readonly physNs: string;
  /** A VM namespace plugged into br-int as `nucleon plug` plugs it (hybrid: through qbr<id> for iptables_hybrid). */
  addVm(name: string, host: OvsHost, port: { id: string; mac: string }, ipCidr: string, mtu: number, hybrid: boolean): Promise<string>;
  teardown(): Promise<void>;
}

/**
 * An Open vSwitch agent's settings for a lab host: Neutron's bridge names,
 * the userspace datapath, physnet1 on br-eth, VXLAN with l2population and
 * the ARP responder, a 700 ms polling interval, the hybrid firewall;
 * `overrides` changes any of them.
 */
export function labOvsAgentSettings(host: OvsHost, name: string, overrides: Partial<OvsAgentSettings> = {}): OvsAgentSettings {
  return {
    host: name,
    ovsdbConnection: `unix:${host.dir}/db.sock`,
    datapathType: 'netdev',
    integrationBridge: 'br-int',
    tunnelBridge: 'br-tun',
    intPeerPatchPort: 'patch-tun',
    tunPeerPatchPort: 'patch-int',
    bridgeMappings: { physnet1: 'br-eth' },
    tunnels: { localIp: host.tunnelIp, types: ['vxlan'], vxlanUdpPort: 4789, l2Population: true, arpResponder: true },
    pollingIntervalMs: 700,
    reportIntervalMs: 5_000,
    availabilityZone: 'nova',
    logHeartbeats: false,
    firewall: 'stateful',
    ...overrides,
  };
}

/** One line over TCP: a listener in namespace `toNs` on `port` sends `line` to whoever connects from `fromNs` to `toIp`; returns what arrived. */
export async function tcpLine(fromNs: string, toNs: string, toIp: string, port: number, line: string): Promise<string> {
  const server = spawn('ip', ['netns', 'exec', toNs, 'nc', '-l', '-N', '-p', String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
  server.stdin.end(`${line}\n`);
  try {
    return await eventually('TCP answer', () => sh('ip', 'netns', 'exec', fromNs, 'nc', '-w', '2', toIp, String(port)), 6_000);
  } finally {
    server.kill();
  }
}

const txOff = (ns: string, dev: string) => sh('ip', 'netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off');

async function startOvs(ns: string, dir: string): Promise<OpenVswitch> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const env = ['env', `OVS_RUNDIR=${dir}`, `OVS_LOGDIR=${dir}`, `OVS_DBDIR=${dir}`, `OVS_SYSCONFDIR=${dir}`];
  await sh('ovsdb-tool', 'create', `${dir}/conf.db`, '/usr/share/openvswitch/vswitch.ovsschema');
  await sh('ip', 'netns', 'exec', ns, ...env, 'ovsdb-server', `${dir}/conf.db`, `--remote=punix:${dir}/db.sock`, `--unixctl=${dir}/ovsdb-server.ctl`,
    `--pidfile=${dir}/ovsdb-server.pid`, `--log-file=${dir}/ovsdb-server.log`, '--detach', '--no-chdir', '-vconsole:off');
  await sh('ovs-vsctl', `--db=unix:${dir}/db.sock`, '--no-wait', '--', 'init', '--', 'set', 'Open_vSwitch', '.', 'other_config:userspace-tso-enable=true');
  await sh('ip', 'netns', 'exec', ns, ...env, 'ovs-vswitchd', `unix:${dir}/db.sock`, `--unixctl=${dir}/ovs-vswitchd.ctl`,
    `--pidfile=${dir}/ovs-vswitchd.pid`, `--log-file=${dir}/ovs-vswitchd.log`, '--detach', '--no-chdir', '-vconsole:off');
  return new OpenVswitch(`unix:${dir}/db.sock`);
}

async function stopOvs(dir: string): Promise<void> {
  for (const daemon of ['ovs-vswitchd', 'ovsdb-server']) await sh('ovs-appctl', '-t', `${dir}/${daemon}.ctl`, 'exit').catch(() => undefined);
}

/** `count` hosts with OVS and `kernelCount` without, on an underlay 10.244.<n>.0/24. */
export async function createOvsLab(prefix: string, count: number, kernelCount = 0): Promise<OvsLab> {
  await deleteNamespaces(prefix);
  const net = 10 + (process.pid % 200);
  const ulNs = `${prefix}ul`;
  const physNs = `${prefix}ph`;
  for (const ns of [ulNs, physNs]) {
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
  }
  await sh('ip', '-n', ulNs, 'link', 'add', 'ulbr', 'type', 'bridge');
  await sh('ip', '-n', ulNs, 'link', 'set', 'ulbr', 'up');
  // vlan_filtering is not available here: a plain bridge forwards tagged frames as they are, like a trunk.
  await sh('ip', '-n', physNs, 'link', 'add', 'phys', 'type', 'bridge');
  await sh('ip', '-n', physNs, 'link', 'set', 'phys', 'up');
  const hosts: OvsHost[] = [];
  for (let i = 1; i <= count; i++) {
    const ns = `${prefix}h${i}`;
    const dir = `/tmp/${prefix}/h${i}`;
    const tunnelIp = `10.244.${net}.${i}`;
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    const ovs = await startOvs(ns, dir);
    // Underlay: a veth into the shared Linux bridge, in a netdev bridge whose own port holds the tunnel address.
    await sh('ip', 'link', 'add', `ul${i}`, 'netns', ulNs, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns);
    await sh('ip', '-n', ulNs, 'link', 'set', `ul${i}`, 'master', 'ulbr', 'up');
    await sh('ip', '-n', ns, 'link', 'set', 'ul0', 'up');
    await txOff(ulNs, `ul${i}`);
    await txOff(ns, 'ul0');
    // The physical network: br-eth (the operator's bridge of bridge_mappings) with a veth to the shared segment.
    await sh('ip', 'link', 'add', `ph${i}`, 'netns', physNs, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', ns);
    await sh('ip', '-n', physNs, 'link', 'set', `ph${i}`, 'master', 'phys', 'up');
    await sh('ip', '-n', ns, 'link', 'set', 'eth1', 'up');
    await txOff(physNs, `ph${i}`);
    await txOff(ns, 'eth1');
    await ovs.vsctl([
      ['add-br', 'br-ul'],
      ['set', 'bridge', 'br-ul', 'datapath_type=netdev'],
      ['add-port', 'br-ul', 'ul0'],
      ['add-br', 'br-eth'],
      ['set', 'bridge', 'br-eth', 'datapath_type=netdev'],
      ['add-port', 'br-eth', 'eth1'],
    ]);
    await sh('ip', '-n', ns, 'addr', 'add', `${tunnelIp}/24`, 'dev', 'br-ul');
    await sh('ip', '-n', ns, 'link', 'set', 'br-ul', 'up');
    hosts.push({ ns, dir, ovs, tunnelIp });
  }
  const kernelHosts: KernelHost[] = [];
  for (let k = 1; k <= kernelCount; k++) {
    const i = 100 + k;
    const ns = `${prefix}k${k}`;
    const tunnelIp = `10.244.${net}.${i}`;
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    await sh('ip', 'link', 'add', `ul${i}`, 'netns', ulNs, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns);
    await sh('ip', '-n', ulNs, 'link', 'set', `ul${i}`, 'master', 'ulbr', 'up');
    await sh('ip', '-n', ns, 'addr', 'add', `${tunnelIp}/24`, 'dev', 'ul0');
    await sh('ip', '-n', ns, 'link', 'set', 'ul0', 'up');
    // The kernel leaves the outer UDP checksum to offload, which OVS's userspace datapath drops: finish it in software.
    await txOff(ns, 'ul0');
    await txOff(ulNs, `ul${i}`);
    kernelHosts.push({ ns, tunnelIp });
  }
  return {
    prefix,
    hosts,
    kernelHosts,
    physNs,
    async addVm(name, host, port, ipCidr, mtu, hybrid) {
      const vm = `${prefix}${name}`;
      const connection = `unix:${host.dir}/db.sock`;
      await plugVif({ portId: port.id, macAddress: port.mac, mtu, netns: vm, ifname: 'eth0', ovs: { bridge: 'br-int', connection, hybrid } }, new IpRoute(host.ns));
      await sh('ip', '-n', vm, 'link', 'set', 'eth0', 'mtu', String(mtu));
      await sh('ip', '-n', vm, 'addr', 'add', ipCidr, 'dev', 'eth0');
      await txOff(vm, 'eth0');
      const names = hybridNames(port.id);
      for (const dev of hybrid ? [tapName(port.id), names.bridgeEnd, names.ovsEnd] : [tapName(port.id)]) await txOff(host.ns, dev);
      return vm;
    },
    async teardown() {
      for (const host of hosts) await stopOvs(host.dir);
      await deleteNamespaces(prefix);
      await rm(`/tmp/${prefix}`, { recursive: true, force: true });
    },
  };
}

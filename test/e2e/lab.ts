/**
 * The end-to-end lab: simulated hosts built from network namespaces, on
 * which the real agent commands run as they would on separate machines.
 *
 *   underlay  <P>ul: a bridge, the "physical" switch between the hosts
 *   hosts     <P>h1, <P>h2: a veth to the underlay with a VTEP address, and a
 *             mount namespace of its own whose /run/netns is private (its
 *             qdhcp-<net> namespaces keep their real names, clash with
 *             nothing on the machine, and outlive agent restarts); agents
 *             run inside both
 *   VMs       <P>vm1...: namespaces plugged into ports with `nucleon plug`
 *
 * The controller (server, RabbitMQ, the Nova double) stays in the test's own
 * namespace; hosts reach its TCP ports through forwarders: a listener on
 * 127.0.0.1:<port> inside the host relays to a Unix socket, which crosses
 * network namespaces, and the test relays that to its own 127.0.0.1:<port>.
 * Nothing is created in the root namespace but those Unix sockets. teardown()
 * ends every process whose command line mentions the lab's directory (the
 * agents and the dnsmasq/haproxy they started), then deletes the namespaces.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { eventually } from '../helpers/eventually.js';
import { relayIntoNamespace, type Relay } from '../helpers/relay.js';

const exec = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../..');

export async function sh(command: string, args: readonly string[], input?: string): Promise<string> {
  const child = exec(command, args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** Runs in a namespace; resolves with stdout, or rejects with the exit code and stderr. */
export const inNs = (ns: string, command: string, ...args: string[]): Promise<string> => sh('ip', ['netns', 'exec', ns, command, ...args]);

/** The programs the lab needs (with root): `kernelSkip(LAB_PROGRAMS)` (test/helpers/kernel.ts). */
export const LAB_PROGRAMS = ['ip', 'bridge', 'dnsmasq', 'haproxy', 'udhcpc', 'ping', 'unshare', 'nsenter', 'curl', 'nft', 'conntrack', 'arping', 'nc'] as const;

export interface LabHost {
  readonly name: string;
  readonly ns: string;
  readonly vtep: string;
  /** The host's own directory: config files, agent state. */
  readonly dir: string;
  /**
   * A process that holds the host's mount namespace, whose /run/netns is the
   * host's own: agents run inside it, and their qdhcp- namespaces outlive an
   * agent restart as they would on a real machine.
   */
  readonly holderPid: number;
}

export interface AgentProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
}

// A udhcpc script that configures the VM from the lease and records it, and never touches /etc/resolv.conf.
const UDHCPC_HOOK = `#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr flush dev "$interface"
ip addr add "$ip/$mask" dev "$interface"
if [ -n "$mtu" ] && [ -z "$LAB_SKIP_MTU" ]; then ip link set "$interface" mtu "$mtu"; fi
if [ -n "$staticroutes" ]; then
  set -- $staticroutes
  while [ $# -ge 2 ]; do
    if [ "$1" = 0.0.0.0/0 ]; then ip route replace default via "$2" dev "$interface"; else ip route replace "$1" via "$2" dev "$interface"; fi
    shift 2
  done
elif [ -n "$router" ]; then
  ip route replace default via "\${router%% *}" dev "$interface"
fi
{ echo "ip=$ip"; echo "mask=$mask"; echo "mtu=$mtu"; echo "router=$router"; echo "dns=$dns"; echo "domain=$domain"; echo "hostname=$hostname"; echo "staticroutes=$staticroutes"; } > "$LAB_LEASE_OUT"
`;

/** `--config-file F` for each file. */
export const configArgs = (files: readonly string[]): string[] => files.flatMap((file) => ['--config-file', file]);

export class Lab {
  readonly prefix: string;
  readonly dir: string;
  readonly underlay: string;
  readonly hosts: LabHost[] = [];
  readonly vms: string[] = [];
  private readonly processes: AgentProcess[] = [];
  /** By `<port>@<host>`. */
  private readonly relays = new Map<string, Relay>();

  constructor() {
    this.prefix = `nl${process.pid % 10000}`;
    this.dir = mkdtempSync(join(tmpdir(), 'nucleon-e2e-'));
    chmodSync(this.dir, 0o755);
    this.underlay = `${this.prefix}ul`;
    writeFileSync(join(this.dir, 'udhcpc-hook.sh'), UDHCPC_HOOK, { mode: 0o755 });
  }

  async setUp(hostCount: number): Promise<void> {
    await this.teardownNamespaces();
    const lines = [`netns add ${this.underlay}`];
    for (let i = 1; i <= hostCount; i++) {
      const ns = `${this.prefix}h${i}`;
      lines.push(`netns add ${ns}`, `link add ${this.prefix}u${i} netns ${this.underlay} type veth peer name eth0 netns ${ns}`);
    }
    await sh('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
    const underlay = ['link set lo up', `link add ${this.prefix}br type bridge`, `link set ${this.prefix}br up`];
    for (let i = 1; i <= hostCount; i++) underlay.push(`link set ${this.prefix}u${i} master ${this.prefix}br up`);
    await sh('ip', ['-n', this.underlay, '-batch', '-'], `${underlay.join('\n')}\n`);
    for (let i = 1; i <= hostCount; i++) {
      const ns = `${this.prefix}h${i}`;
      const vtep = `10.243.0.${i}`;
      await sh('ip', ['-n', ns, '-batch', '-'], `link set lo up\naddr add ${vtep}/24 dev eth0\nlink set eth0 up\n`);
      const dir = join(this.dir, `h${i}`);
      await sh('mkdir', ['-p', dir]);
      const holder = this.spawnIn(ns, `h${i} mounts`, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=1m nucleon-netns /run/netns && exec sleep infinity']);
      const holderPid = holder.child.pid!;
      await eventually(`the mount namespace of h${i}`, () => readFileSync(`/proc/${holderPid}/cmdline`, 'utf8').startsWith('sleep'), 5_000);
      this.hosts.push({ name: `h${i}`, ns, vtep, dir, holderPid });
    }
  }

  /** Makes the controller's 127.0.0.1:<port> reachable as 127.0.0.1:<port> inside every host. */
  async forward(port: number): Promise<void> {
    for (const host of this.hosts) await this.restore(host, port);
  }

  /** Cuts a host off from the controller's <port>: its open connections are reset, new ones refused. */
  async cut(host: LabHost, port: number): Promise<void> {
    const key = `${port}@${host.name}`;
    await this.relays.get(key)?.close();
    this.relays.delete(key);
  }

  /** Forwards the controller's <port> into a host (again, after a cut). */
  async restore(host: LabHost, port: number): Promise<void> {
    this.relays.set(`${port}@${host.name}`, await relayIntoNamespace(host.ns, port, join(this.dir, `relay-${port}-${host.name}.sock`)));
  }

  /** Starts a Nucleon command inside a host the way it would run there: the host's network and mount namespaces. */
  startAgent(host: LabHost, bin: string, argv: readonly string[]): AgentProcess {
    return this.startOnHost(host, bin, process.execPath, [join(REPO, 'bin', bin), ...argv]);
  }

  /** Starts any command inside a host (a Neutron agent, say), ended with the lab. */
  startOnHost(host: LabHost, name: string, command: string, argv: readonly string[]): AgentProcess {
    const args = ['-t', String(host.holderPid), '-m', '-n', '--', command, ...argv];
    return this.track(`${name}@${host.name}`, spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Runs a command in a host's namespaces (its /run/netns included). */
  onHost(host: LabHost, command: string, ...args: string[]): Promise<string> {
    return sh('nsenter', ['-t', String(host.holderPid), '-m', '-n', '--', command, ...args]);
  }

  /** Starts a command in the controller's namespace (the metadata agent needs no host). */
  startLocal(bin: string, argv: readonly string[]): AgentProcess {
    return this.startCommand(bin, process.execPath, [join(REPO, 'bin', bin), ...argv]);
  }

  /** Starts any command in the controller's namespace (a Neutron server, say), ended with the lab. */
  startCommand(name: string, command: string, argv: readonly string[]): AgentProcess {
    return this.track(name, spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  async stop(agent: AgentProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
    const exited = new Promise((ok) => agent.child.once('exit', ok));
    agent.child.kill(signal);
    await exited;
  }

  /**
   * A new, empty VM namespace. The test makes it, not `nucleon plug`: plug
   * runs under `ip netns exec <host>`, whose mount namespace is a slave of
   * ours, so a namespace it created would not be visible out here.
   */
  async vm(): Promise<string> {
    const name = `${this.prefix}vm${this.vms.length + 1}`;
    this.vms.push(name);
    await sh('ip', ['netns', 'add', name]);
    return name;
  }

  /** `nucleon plug` run on a host, as an operator would there. */
  plug(host: LabHost, portId: string, vm: string, apiUrl: string): Promise<string> {
    return inNs(host.ns, process.execPath, join(REPO, 'bin/nucleon.js'), 'plug', portId, '--netns', vm, '--host', host.name, '--url', apiUrl);
  }

  unplug(host: LabHost, portId: string, vm: string, apiUrl: string): Promise<string> {
    return inNs(host.ns, process.execPath, join(REPO, 'bin/nucleon.js'), 'unplug', portId, '--netns', vm, '--url', apiUrl);
  }

  /** Runs udhcpc in a VM; returns what the lease set (ip, mask, mtu, router, staticroutes...). */
  async dhcp(vm: string, options: { applyMtu?: boolean } = {}): Promise<Record<string, string>> {
    const out = join(this.dir, `${vm}.lease`);
    const env = [`LAB_LEASE_OUT=${out}`, ...(options.applyMtu === false ? ['LAB_SKIP_MTU=1'] : [])];
    await inNs(vm, 'env', ...env, 'udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '1', '-i', 'eth0', '-s', join(this.dir, 'udhcpc-hook.sh'), '-O', 'staticroutes', '-O', 'mtu');
    return Object.fromEntries(
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  async teardown(): Promise<void> {
    for (const agent of this.processes) agent.child.kill('SIGKILL');
    await this.killStrays();
    for (const relay of this.relays.values()) await relay.close();
    await this.teardownNamespaces();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every process whose command line names the lab directory: agents, relays, and the daemons agents started. */
  private async killStrays(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      let found = false;
      for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.dir) && Number(pid) !== process.pid) {
            process.kill(Number(pid), 'SIGKILL');
            found = true;
          }
        } catch {
          // gone meanwhile
        }
      }
      if (!found) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async teardownNamespaces(): Promise<void> {
    const listed = await sh('ip', ['netns', 'list']);
    const ours = listed
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name.startsWith(this.prefix));
    for (const ns of ours) {
      try {
        for (const pid of (await sh('ip', ['netns', 'pids', ns])).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // namespace without processes, or gone
      }
    }
    if (ours.length > 0) await sh('ip', ['-force', '-batch', '-'], `${ours.map((ns) => `netns delete ${ns}`).join('\n')}\n`).catch(() => undefined);
  }

  /** A process in a namespace, ended with the lab. */
  spawnIn(ns: string, name: string, command: string, args: readonly string[]): AgentProcess {
    return this.track(name, spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  private track(name: string, child: ChildProcess): AgentProcess {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const agent = { name, child, output: () => output };
    this.processes.push(agent);
    return agent;
  }
}

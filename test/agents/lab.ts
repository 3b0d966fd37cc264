/**
 * The real-kernel fixture of the Linux bridge agent tests: simulated hosts
 * (network namespaces) joined by an underlay bridge in a namespace of its
 * own, "VMs" (namespaces with one veth whose host end is the port's tap),
 * and a real API server on SQLite whose agents share the in-process bus.
 * Nothing lands in the root namespace; every name carries the test's prefix;
 * teardown deletes the namespaces (the kernel removes their devices).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

import { pino } from 'pino';

import type { Bus } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { MemoryBroker } from '../../src/rpc/memoryTransport.js';
import type { NeutronOverrides } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { startTestApi, type TestApi } from '../helpers/testApi.js';

const run = promisify(execFile);

export const sh = async (command: string, ...args: string[]): Promise<string> => (await run(command, args, { timeout: 30_000 })).stdout;

/** The programs every test on this lab needs (with root): `kernelSkip(LAB_PROGRAMS)` (test/helpers/kernel.ts). */
export const LAB_PROGRAMS = ['ip', 'bridge', 'ping'] as const;

/** A short unique prefix: interface names have at most 15 characters, /run/netns is shared by the machine. */
export const labPrefix = (tag: string): string => `${tag}${process.pid % 10000}`;

export interface Lab {
  readonly prefix: string;
  /** Namespace of simulated host `i` (1-based), with its underlay address `underlayIp(i)` on `<prefix>u`. */
  hostNs(i: number): string;
  underlayIp(i: number): string;
  /** Adds a VM namespace plugged into `hostNs` through tap `tap` (the VM side is `eth0`). */
  addVm(name: string, host: string, tap: string, mac: string, ipCidr: string, mtu: number): Promise<string>;
  teardown(): Promise<void>;
}

export async function deleteNamespaces(prefix: string): Promise<void> {
  const list = await sh('ip', '-json', 'netns', 'list').catch(() => '[]');
  const names = (list.trim() === '' ? [] : (JSON.parse(list) as { name: string }[])).map((n) => n.name).filter((n) => n.startsWith(prefix));
  for (const name of names) {
    const pids = (await sh('ip', 'netns', 'pids', name).catch(() => '')).split('\n').filter((p) => p.trim() !== '');
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sh('ip', 'netns', 'delete', name).catch(() => undefined);
  }
}

/** `hosts` simulated hosts on an underlay 10.243.<n>.0/24 (n from the pid, so parallel runs never meet). */
export async function createLab(prefix: string, hosts: number): Promise<Lab> {
  await deleteNamespaces(prefix);
  const net = 10 + (process.pid % 200);
  const ul = `${prefix}ul`;
  const hostNs = (i: number) => `${prefix}h${i}`;
  const underlayIp = (i: number) => `10.243.${net}.${i}`;
  const lines = [`netns add ${ul}`, ...Array.from({ length: hosts }, (_, i) => `netns add ${hostNs(i + 1)}`)];
  for (const line of lines) await sh('ip', ...line.split(' '));
  await sh('ip', '-n', ul, 'link', 'set', 'lo', 'up');
  await sh('ip', '-n', ul, 'link', 'add', 'ulbr', 'type', 'bridge');
  await sh('ip', '-n', ul, 'link', 'set', 'ulbr', 'up');
  for (let i = 1; i <= hosts; i++) {
    const ns = hostNs(i);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    await sh('ip', 'link', 'add', `ul${i}`, 'netns', ul, 'type', 'veth', 'peer', 'name', `${prefix}u`, 'netns', ns);
    await sh('ip', '-n', ul, 'link', 'set', `ul${i}`, 'master', 'ulbr', 'up');
    await sh('ip', '-n', ns, 'addr', 'add', `${underlayIp(i)}/24`, 'dev', `${prefix}u`);
    await sh('ip', '-n', ns, 'link', 'set', `${prefix}u`, 'up');
  }
  return {
    prefix,
    hostNs,
    underlayIp,
    async addVm(name, host, tap, mac, ipCidr, mtu) {
      const vm = `${prefix}${name}`;
      await sh('ip', 'netns', 'add', vm);
      await sh('ip', '-n', vm, 'link', 'set', 'lo', 'up');
      await sh('ip', 'link', 'add', tap, 'netns', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm);
      await sh('ip', '-n', vm, 'link', 'set', 'eth0', 'address', mac, 'mtu', String(mtu));
      await sh('ip', '-n', vm, 'addr', 'add', ipCidr, 'dev', 'eth0');
      await sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
      return vm;
    },
    teardown: () => deleteNamespaces(prefix),
  };
}

/** A ping left running (`-i` interval in s); `result()` waits for it and returns its summary. */
export function startPing(vm: string, address: string, count: number, interval: number): { child: ChildProcess; result: () => Promise<{ sent: number; received: number; output: string }> } {
  const child = spawn('ip', ['netns', 'exec', vm, 'ping', '-n', '-q', '-i', String(interval), '-c', String(count), '-W', '1', address], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    result: async () => {
      await done;
      const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
      return { sent: Number(match?.[1] ?? 0), received: Number(match?.[2] ?? 0), output };
    },
  };
}

export interface LabApi extends TestApi {
  /** The in-process broker agents join (openBus('memory://', {memoryBroker})). */
  readonly broker: MemoryBroker;
  agentBus(): Promise<Bus>;
}

/** A real API server on a throwaway SQLite database, serving the agents' RPC on an in-process broker. */
export async function startLabApi(overrides: NeutronOverrides): Promise<{ api: LabApi; database: TestDatabase }> {
  const database = await createTestDatabase('sqlite');
  const broker = new MemoryBroker();
  const silent = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });
  const buses: Bus[] = [await openBus('memory://', { memoryBroker: broker }, silent)];
  const server = await startTestApi(database.url, overrides, { bus: buses[0]! });
  const api: LabApi = {
    ...server,
    broker,
    agentBus: async () => {
      const bus = await openBus('memory://', { memoryBroker: broker }, silent);
      buses.push(bus);
      return bus;
    },
    close: async () => {
      await server.close();
      for (const bus of buses) await bus.close();
    },
  };
  return { api, database };
}

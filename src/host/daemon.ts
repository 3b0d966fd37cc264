/**
 * Daemons an agent keeps running (dnsmasq, haproxy): they fork into the
 * background and write a pid file, as Neutron's ProcessManager expects. A
 * daemon is known by its pid file alone, so an agent that restarts finds the
 * ones it started before and leaves them serving (DHCP leases and metadata
 * survive an agent restart).
 *
 * A pid is trusted only while /proc/<pid>/cmdline still mentions the
 * daemon's own marker (its config or pid file path): pids are reused, and a
 * killed daemon's pid may belong to something else by the next resync. A
 * zombie (state Z: exited, not yet reaped by PID 1) counts as gone.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { runCommand } from './command.js';

export interface DaemonSpec {
  /** The executable and arguments; it must daemonize and write `pidFile`. */
  readonly command: string;
  readonly args: readonly string[];
  /** Run inside this network namespace (`ip netns exec`); default: the current one. */
  readonly netns?: string;
  readonly pidFile: string;
  /** A string its command line contains that no other process's does (a path of its own). */
  readonly marker: string;
}

async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie: the third field of /proc/<pid>/stat is its state. */
async function isLive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The daemon's pid when it is running (its pid file names a live process whose command line has the marker). */
export async function runningPid(spec: Pick<DaemonSpec, 'pidFile' | 'marker'>): Promise<number | undefined> {
  const pid = await readPid(spec.pidFile);
  if (pid === undefined || !(await isLive(pid))) return undefined;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    return cmdline.includes(spec.marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the daemon and returns its pid once its pid file names it. */
export async function startDaemon(spec: DaemonSpec): Promise<number> {
  const argv = spec.netns === undefined ? [spec.command, ...spec.args] : ['ip', 'netns', 'exec', spec.netns, spec.command, ...spec.args];
  await runCommand(argv[0]!, argv.slice(1));
  for (let waited = 0; waited < 5_000; waited += 20) {
    const pid = await runningPid(spec);
    if (pid !== undefined) return pid;
    await sleep(20);
  }
  throw new Error(`${spec.command} started but did not write ${spec.pidFile} within 5 s`);
}

export function signalDaemon(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (zombies count as gone). */
export async function stopDaemon(pid: number, graceMs = 2_000): Promise<void> {
  if (!signalDaemon(pid, 'SIGTERM')) return;
  for (let waited = 0; waited < graceMs; waited += 20) {
    if (!(await isLive(pid))) return;
    await sleep(20);
  }
  signalDaemon(pid, 'SIGKILL');
  for (let waited = 0; waited < 2_000 && (await isLive(pid)); waited += 20) await sleep(20);
}

/**
 * dnsmasq processes and their state files, one per network, as the DHCP
 * agent keeps them: a process known by its pid file (daemon.ts), so an agent
 * that restarts adopts the ones already serving; files replaced atomically
 * (write, then rename) so a dnsmasq re-reading on SIGHUP never sees half a
 * file. Files are world-readable: dnsmasq drops to user `nobody` and
 * re-reads them as that user.
 */
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';

import { runningPid, signalDaemon, startDaemon, stopDaemon } from './daemon.js';

export interface RunningDnsmasq {
  readonly pid: number;
  /** Its arguments after `dnsmasq`, as /proc shows them. */
  readonly args: readonly string[];
}

/** The dnsmasq whose pid file is `pidFile`, if one runs (the pid file path is on its command line, so it is its marker). */
export async function runningDnsmasq(pidFile: string): Promise<RunningDnsmasq | undefined> {
  const pid = await runningPid({ pidFile, marker: `--pid-file=${pidFile}` });
  if (pid === undefined) return undefined;
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((arg) => arg !== '');
    return { pid, args: argv.slice(1) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** Starts dnsmasq in `netns`; resolves with its pid once it wrote its pid file. */
export function startDnsmasq(netns: string, args: readonly string[], pidFile: string): Promise<number> {
  return startDaemon({ command: 'dnsmasq', args, netns, pidFile, marker: `--pid-file=${pidFile}` });
}

/** SIGHUP: dnsmasq re-reads the hosts, addn_hosts and opts files (and clears its DNS cache). */
export const reloadDnsmasq = (pid: number): boolean => signalDaemon(pid, 'SIGHUP');

export const stopDnsmasq = (pid: number): Promise<void> => stopDaemon(pid);

/** A state file's contents, or undefined when it does not exist. */
export async function readStateFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Replaces a file atomically, mode 0644. */
export async function replaceStateFile(path: string, contents: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, contents, { mode: 0o644 });
  await chmod(temporary, 0o644); // the process umask may have narrowed it
  await rename(temporary, path);
}

/** Creates a directory dnsmasq (as `nobody`) can read. */
export async function ensureStateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o755 });
  await chmod(path, 0o755);
}

export const removeStateDir = (path: string): Promise<void> => rm(path, { recursive: true, force: true });

/** The entries of a directory ([] when it does not exist). */
export async function listStateDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/** What /proc says of a process: its CPU time and its memory, for the benchmarks and the lab. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** /proc reports CPU time in USER_HZ, which Linux fixes at 100 whatever the kernel's own tick. */
const USER_HZ = 100;

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** A memory figure of /proc/<pid>/status in kB (VmRSS: resident now, VmHWM: its peak); undefined once the process is gone. */
export async function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

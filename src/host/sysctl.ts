/** Kernel parameters of a namespace (net.* are per network namespace). */
import { execInNamespace } from './ip.js';

/** The values of `keys` (dotted names) in `netns`, in order. */
export async function readSysctls(netns: string | undefined, keys: readonly string[]): Promise<string[]> {
  const out = await execInNamespace(netns, 'sysctl', ['-n', ...keys]);
  return out.split('\n').filter((line) => line !== '').map((line) => line.trim());
}

/** Sets `key=value` pairs in `netns`. */
export async function writeSysctls(netns: string | undefined, settings: readonly string[]): Promise<void> {
  await execInNamespace(netns, 'sysctl', ['-q', '-w', ...settings]);
}

/** Connection tracking entries of a namespace (conntrack-tools). */
import { HostCommandFailed } from './command.js';
import { execInNamespace } from './ip.js';

/**
 * Deletes the entries whose original destination or reply destination is
 * `address`: the connections that reached it, and those that were
 * translated to it on the way out. conntrack exits 1 when nothing matched,
 * which is no failure here.
 */
export async function deleteConntrackEntries(netns: string, address: string): Promise<void> {
  for (const selector of ['--orig-dst', '--reply-dst']) {
    try {
      await execInNamespace(netns, 'conntrack', ['-D', selector, address]);
    } catch (err) {
      if (err instanceof HostCommandFailed && /0 flow entries/.test(err.stderr)) continue;
      throw err;
    }
  }
}

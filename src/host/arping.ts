/**
 * Gratuitous ARP after an address moves to a device (a router gateway, a
 * floating IP): neighbours that cached the old owner's MAC learn the new one
 * at once instead of after their ARP cache expires. It runs in the
 * background and nobody waits for it: a reconcile pass must not take the
 * seconds that a few spaced announcements take.
 */
import { spawn } from 'node:child_process';

/** Announces `address` on `device` in `netns` `count` times, one second apart; failures are reported to `onError` only. */
export function announceAddress(netns: string, device: string, address: string, count: number, onError: (err: Error) => void): void {
  const child = spawn('ip', ['netns', 'exec', netns, 'arping', '-U', '-I', device, '-c', String(count), address], { stdio: 'ignore' });
  child.on('error', onError);
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null) onError(new Error(`arping -U -I ${device} ${address} in ${netns} exited with ${code}`));
    else if (signal !== null) onError(new Error(`arping -U -I ${device} ${address} in ${netns} ended by ${signal}`));
  });
  child.unref();
}

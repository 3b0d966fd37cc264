/**
 * Gratuitous ARP after an address moves to a device (a router gateway, a
 * floating IP): neighbours that cached the old owner's MAC learn the new one
 * at once instead of after their ARP cache expires. It runs in the
 * background and nobody waits for it: a reconcile pass must not take the
 * seconds that a few spaced announcements take.
 *
 * Announcements wait in a queue and start a few at a time, one per turn of
 * the event loop: starting a process blocks the loop for a millisecond or
 * two, and a router that gains 1000 floating IPs at once would otherwise
 * stall the agent (and, in the all-in-one, the API) for seconds.
 */
import { spawn } from 'node:child_process';

/** arping processes running at once; each lives about `count` seconds. */
const MAX_RUNNING = 32;

const waiting: (() => void)[] = [];
let running = 0;

function startNext(): void {
  if (running >= MAX_RUNNING) return;
  const start = waiting.shift();
  if (start === undefined) return;
  running++;
  start();
  if (waiting.length > 0) setImmediate(startNext);
}

/** Announces `address` on `device` in `netns` `count` times, one second apart; failures are reported to `onError` only. */
export function announceAddress(netns: string, device: string, address: string, count: number, onError: (err: Error) => void): void {
  waiting.push(() => {
    const child = spawn('ip', ['netns', 'exec', netns, 'arping', '-U', '-I', device, '-c', String(count), address], { stdio: 'ignore' });
    let finished = false;
    // A failed spawn may report both 'error' and 'exit': count it once.
    const done = () => {
      if (finished) return;
      finished = true;
      running--;
      setImmediate(startNext);
    };
    child.once('error', (err) => {
      onError(err);
      done();
    });
    child.once('exit', (code, signal) => {
      if (code !== 0 && code !== null) onError(new Error(`arping -U -I ${device} ${address} in ${netns} exited with ${code}`));
      else if (signal !== null) onError(new Error(`arping -U -I ${device} ${address} in ${netns} ended by ${signal}`));
      done();
    });
    child.unref();
  });
  setImmediate(startNext);
}

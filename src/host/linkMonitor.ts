/**
 * Watches a namespace's links as they come and go (`ip -o monitor link`),
 * so an agent can look at a new tap device within milliseconds instead of
 * at its next poll. Only a hint: the agent's periodic pass still catches
 * whatever a lost or late event missed. The monitor restarts if `ip` exits,
 * until stop().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LinkEvent {
  /** `Deleted` lines: the device went away. */
  readonly deleted: boolean;
  readonly ifname: string;
}

/** One `ip -o monitor link` line: `[Deleted ]<index>: <name>[@<peer>]: <flags> ...`. */
export function parseLinkEvent(line: string): LinkEvent | undefined {
  const match = /^(Deleted )?\d+: ([^:@\s]+)(@[^:\s]+)?:/.exec(line.trim());
  if (!match) return undefined;
  return { deleted: match[1] !== undefined, ifname: match[2]! };
}

export class LinkMonitor {
  private child: ChildProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly netns: string | undefined,
    private readonly onEvent: (event: LinkEvent) => void,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  start(): void {
    if (this.stopped) return;
    const child = spawn('ip', [...(this.netns === undefined ? [] : ['-n', this.netns]), '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseLinkEvent(line);
      if (event) this.onEvent(event);
    });
    child.on('error', (err) => this.onError(err));
    child.on('exit', () => {
      this.child = undefined;
      if (this.stopped) return;
      this.restartTimer = setTimeout(() => this.start(), 1_000);
      this.restartTimer.unref();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.child?.kill();
    this.child = undefined;
  }
}

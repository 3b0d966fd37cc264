/**
 * A long-running command whose every output line is an event (`ip -o
 * monitor link`, `ovsdb-client monitor`), so an agent can look at a change
 * within milliseconds instead of at its next poll. Only a hint: the agent's
 * periodic pass still catches whatever a lost or late event missed. The
 * command is started again a second after it exits, until stop().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class LineMonitor {
  private child: ChildProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly onLine: (line: string) => void,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  start(): void {
    if (this.stopped) return;
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
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

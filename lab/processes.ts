/**
 * Every process the lab starts, and the one private directory it writes
 * in, so that a run leaves nothing behind: each child is the leader of its
 * own process group (mariadbd's SST scripts, rabbitmq-server's beam and
 * haproxy die with it), and `cleanup()` runs on a normal end, on an error
 * and on Ctrl-C.
 *
 *   const lab = await LabProcesses.create('nucleon-ha');
 *   const p = lab.spawn('galera1', '/usr/sbin/mariadbd', [...]);
 *   p.kill9();            // a fault
 *   await lab.cleanup();  // every group killed, the directory removed
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  alive(): boolean;
  /** SIGKILL to the whole process group: a crash, not a shutdown. */
  kill9(): void;
  signal(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export class LabProcesses {
  private readonly running = new Map<number, { process: LabProcess; child: ChildProcess; log: WriteStream }>();
  private cleaned = false;

  private constructor(readonly dir: string, private readonly keepDir: boolean) {}

  /** A fresh directory under the system's temporary directory, and the traps that clean it. */
  static create(prefix: string, options: { keepDir?: boolean } = {}): LabProcesses {
    const lab = new LabProcesses(mkdtempSync(join(tmpdir(), `${prefix}-`)), options.keepDir ?? false);
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`\nlab: ${signal}, stopping everything the lab started\n`);
      void lab.cleanup().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // A synchronous last resort: exit handlers cannot wait for promises.
    process.once('exit', () => lab.killAllNow());
    return lab;
  }

  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): LabProcess {
    const logFile = join(this.dir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`lab: could not start ${name} (${command})`);
    let exitedNow = false;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        exitedNow = true;
        this.running.delete(pid);
        resolve(code);
      }),
    );
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // the group is already gone
      }
    };
    const labProcess: LabProcess = {
      name,
      pid,
      logFile,
      exited,
      alive: () => !exitedNow,
      kill9: () => killGroup('SIGKILL'),
      signal: killGroup,
    };
    this.running.set(pid, { process: labProcess, child, log });
    return labProcess;
  }

  /** Kills every process group still running and removes the directory (unless kept). */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    const waits = [...this.running.values()].map(({ process: p }) => {
      p.kill9();
      return Promise.race([p.exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    });
    await Promise.all(waits);
    if (!this.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private killAllNow(): void {
    for (const { process: p } of this.running.values()) p.kill9();
    if (!this.cleaned && !this.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

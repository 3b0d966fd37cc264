/**
 * Runs one external command and returns what it printed. The only way the
 * rest of host/ starts a short-lived process: arguments go as an array (no
 * shell, so no quoting bugs), a failure is a typed HostCommandFailed that
 * names the command and carries its stderr, and every call has a deadline.
 */
import { execFile } from 'node:child_process';

export class HostCommandFailed extends Error {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim() || 'no output'}`);
  }
}

export interface RunOptions {
  /** Written to the command's standard input (e.g. an `ip -batch -` script). */
  readonly input?: string;
  /** Default 30 s: no host command we run should take longer. */
  readonly timeoutMs?: number;
  /** Exit statuses that mean an answer, not a failure (`ovs-ofctl diff-flows` exits 2 when the flows differ). */
  readonly answerExitCodes?: readonly number[];
}

export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { encoding: 'utf8', timeout: options.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : null;
        if (!err || (code !== null && options.answerExitCodes?.includes(code) === true)) return resolve(stdout);
        reject(new HostCommandFailed([command, ...args], code, stderr || err.message));
      },
    );
    // A command that exits without reading its input (most do) closes the pipe: that EPIPE is no failure of
    // the command (its exit status says that), and unhandled it would crash the process.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

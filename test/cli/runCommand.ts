/** Runs the clients under test (openstack, neutron, python3) as a user would, and shows what they did when an assertion fails. */
import { spawn } from 'node:child_process';

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (SIGKILL after `timeoutMs`); resolves with its exit code and output. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A command and what it did, for assertion messages. */
export const described = (command: string, args: readonly string[], result: Finished): string =>
  `${command} ${args.join(' ')}: exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

/**
 * Whether tests that need this machine's kernel (root, for namespaces,
 * bridges and devices) and some programs can run here: one answer for every
 * test file, so they all skip, and fail, the same way.
 *
 * On a developer's machine a test that cannot run is skipped with the
 * reason. Under CI (`CI=true`) nothing is skipped for lack of root or a
 * program: the run must prove everything, so the reason becomes a failure
 * that names what is missing.
 */
import type { TestContext } from 'node:test';

import { isRoot, missingPrograms } from '../../src/host/tools.js';

/** Under CI=true a skip is a failure. */
export const underCi = (): boolean => process.env['CI'] === 'true';

/** The error that replaces a skip under CI. */
function ciFailure(reason: string, remedy: string): Error {
  return new Error(`CI=true, and this test would skip: ${reason}. CI runs every test: ${remedy}`);
}

/** Why a test that needs root and `programs` cannot run here ('needs root; missing programs: a, b'), or undefined. */
export async function kernelUnavailable(programs: readonly string[]): Promise<string | undefined> {
  const missing = await missingPrograms(programs, process.env['PATH']);
  const reasons = [
    ...(isRoot() ? [] : [`needs root (network namespaces, bridges, devices; running as uid ${process.getuid?.()})`]),
    ...(missing.length > 0 ? [`missing programs: ${missing.join(', ')}`] : []),
  ];
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/**
 * The `skip` of a test file's kernel tests: the reason they cannot run here,
 * or false. Under CI=true a reason throws instead, so the file fails naming
 * what is missing. Call it at the top of the file:
 *
 *   const skip = await kernelSkip(['ip', 'bridge', 'dnsmasq']);
 *   describe('...', { skip }, () => { ... });
 */
export async function kernelSkip(programs: readonly string[]): Promise<string | false> {
  const reason = await kernelUnavailable(programs);
  if (reason === undefined) return false;
  if (underCi()) throw ciFailure(reason, 'run it as root, with the programs installed (.ci/run installs them)');
  return reason;
}

/**
 * Inside a running test, for a reason found only then (a broker that must
 * not be restarted, ...): skips the test with the reason, or under CI=true
 * fails it. The caller returns right after.
 */
export function skipOrFail(t: TestContext, reason: string): void {
  if (underCi()) throw ciFailure(reason, 'give it what it needs');
  t.skip(reason);
}

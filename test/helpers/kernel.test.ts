/**
 * test/helpers/kernel.ts in a child test run: a file whose kernel tests
 * cannot run here is skipped with the reason, except under CI=true, where
 * the run fails naming what is missing; a skip decided inside a test
 * (skipOrFail) does the same.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';

const REPO = resolve(import.meta.dirname, '../..');
const HELPER = pathToFileURL(join(REPO, 'test/helpers/kernel.ts')).href;
const MISSING = 'nucleon-no-such-program';
const dir = mkdtempSync(join(tmpdir(), 'nucleon-kernelskip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string, body: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `import { test } from 'node:test';\nimport { kernelSkip, skipOrFail } from ${JSON.stringify(HELPER)};\n${body}\n`);
  return path;
};
const atImport = fixture('atImport.mts', `const skip = await kernelSkip([${JSON.stringify(MISSING)}]);\ntest('needs a program that is nowhere', { skip }, () => {});\nvoid skipOrFail;`);
const inTest = fixture('inTest.mts', `void kernelSkip;\ntest('finds out it cannot run', (t) => skipOrFail(t, 'the broker is shared'));`);

/** `node --test file` with CI set or not; never rejects. */
function runTests(file: string, ci: boolean): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['CI'];
  delete env['NODE_TEST_CONTEXT']; // set by the runner of this file: the child would run nothing
  if (ci) env['CI'] = 'true';
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { cwd: REPO, env, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, output: stdout + stderr });
    });
  });
}

describe('kernel test skips, and CI=true', () => {
  it('a missing program skips the file, naming the program', async () => {
    const { code, output } = await runTests(atImport, false);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`# SKIP .*missing programs: ${MISSING}`));
    assert.match(output, /^# skipped 1$/m);
  });

  it('under CI=true a missing program fails the file, naming the program', async () => {
    const { code, output } = await runTests(atImport, true);
    assert.notEqual(code, 0, output);
    assert.match(output, new RegExp(`CI=true, and this test would skip: .*missing programs: ${MISSING}`));
    assert.match(output, /^# fail [1-9]/m);
    assert.match(output, /^# skipped 0$/m);
  });

  it('a skip decided inside a test: skipped, or under CI=true failed with the reason', async () => {
    const local = await runTests(inTest, false);
    assert.equal(local.code, 0, local.output);
    assert.match(local.output, /# SKIP the broker is shared/);
    const ci = await runTests(inTest, true);
    assert.notEqual(ci.code, 0, ci.output);
    assert.match(ci.output, /CI=true, and this test would skip: the broker is shared/);
    assert.match(ci.output, /^# skipped 0$/m);
  });
});

/**
 * nucleon-config-generator [--output-dir DIR] [--check]
 *   Writes the sample configuration files (neutron.conf.sample,
 *   ml2_conf.ini.sample, the agents' *.ini.sample) from the option
 *   declarations into DIR (default: etc), as oslo-config-generator does.
 *   Which groups go into which file: config/sampleFiles.ts.
 *   --check writes nothing and exits 1 naming the files that differ.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { renderSample } from '../config/renderSample.js';
import { sampleFiles } from '../config/sampleFiles.js';
import { runMain } from './run.js';

const NAME = 'nucleon-config-generator';
const USAGE = `usage: ${NAME} [--output-dir DIR] [--check]`;

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

runMain(NAME, async () => {
  const argv = process.argv.slice(2);
  let outputDir = 'etc';
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--check') check = true;
    else if (arg === '--output-dir' && argv[i + 1] !== undefined) outputDir = argv[++i] ?? outputDir;
    else if (arg.startsWith('--output-dir=')) outputDir = arg.slice('--output-dir='.length);
    else {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
  }
  const dir = resolve(outputDir);
  if (!check) mkdirSync(dir, { recursive: true });
  const stale: string[] = [];
  for (const file of sampleFiles) {
    const path = join(dir, file.name);
    const text = renderSample(file, NAME);
    if (readOrEmpty(path) === text) continue;
    stale.push(path);
    if (!check) writeFileSync(path, text);
  }
  if (check) {
    for (const path of stale) process.stderr.write(`${NAME}: ${path} differs from the option declarations\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const path of stale) process.stdout.write(`wrote ${path}\n`);
  return 0;
});

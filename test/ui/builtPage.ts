/**
 * The page's browser module as `npm run build` emits it (dist/ui/app.js),
 * rebuilt here when it is missing or older than src/ui/app.ts, so that these
 * tests never serve a stale page when run on their own. Only that one file is
 * compiled (typescript's transpileModule, a fraction of a second).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = `${REPO}src/ui/app.ts`;
const OUTPUT = `${REPO}dist/ui/app.js`;

const mtime = async (path: string): Promise<number> => (await stat(path).catch(() => undefined))?.mtimeMs ?? -1;

export async function ensurePageBuilt(): Promise<void> {
  if ((await mtime(OUTPUT)) >= (await mtime(SOURCE))) return;
  const source = await readFile(SOURCE, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: SOURCE,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
  });
  await mkdir(dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, outputText);
}

/** What this machine lets the agents do: root, and the programs they drive. */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** The programs of `programs` that are not on PATH. */
export async function missingPrograms(programs: readonly string[]): Promise<string[]> {
  const found = await Promise.all(programs.map(onPath));
  return programs.filter((_, i) => !found[i]);
}

export const isRoot = (): boolean => process.getuid?.() === 0;

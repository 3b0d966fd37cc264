/** What this machine lets the agents do: root, and the programs they drive. */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Where programs are looked for when no search path is set (execvp's default, with the sbin directories). */
const DEFAULT_SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(delimiter);

async function onPath(program: string, dirs: readonly string[]): Promise<boolean> {
  for (const dir of dirs) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * The programs of `programs` that are not on `searchPath`, a PATH-style
 * list the composition root passes (its environment's PATH); unset: the
 * usual system directories.
 */
export async function missingPrograms(programs: readonly string[], searchPath: string | undefined): Promise<string[]> {
  const dirs = (searchPath ?? DEFAULT_SEARCH_PATH).split(delimiter).filter((dir) => dir !== '');
  const found = await Promise.all(programs.map((program) => onPath(program, dirs)));
  return programs.filter((_, i) => !found[i]);
}

export const isRoot = (): boolean => process.getuid?.() === 0;

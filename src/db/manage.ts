/**
 * The logic behind `nucleon-db-manage`, Nucleon's neutron-db-manage:
 *
 *   upgrade head | upgrade heads   run the pending migrations
 *   current                        print the database's revision
 *   heads                          print the revision this Nucleon needs
 *
 * The cli/ entry point reads the config files and passes `[database]
 * connection` and the remaining arguments here; the return value is the exit
 * code (0 ok, 1 failure, 2 usage error).
 */
import { openDatabase, type OpenDatabase } from './connect.js';
import { currentRevision, headRevision, MigrationFailed, upgradeHead } from './migrate.js';

const USAGE = 'usage: nucleon-db-manage [--config-file FILE ...] {upgrade head | current | heads}';

export async function runDbManage(url: string, args: string[], out: (line: string) => void): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'heads' && rest.length === 0) {
    out(`${headRevision()} (head)`);
    return 0;
  }
  if (command === 'upgrade') {
    if (rest.length !== 1 || (rest[0] !== 'head' && rest[0] !== 'heads')) {
      out(`error: only 'upgrade head' is supported (got 'upgrade ${rest.join(' ')}')`);
      out(USAGE);
      return 2;
    }
    return withDatabase(url, out, async ({ db }) => {
      out('Running upgrade for nucleon ...');
      try {
        const { applied, current } = await upgradeHead(db);
        for (const name of applied) out(`  Applied ${name}`);
        if (applied.length === 0) out(`  Already at ${current} (head)`);
        out('  OK');
        return 0;
      } catch (err) {
        if (!(err instanceof MigrationFailed)) throw err;
        for (const name of err.applied) out(`  Applied ${name}`);
        out(`ERROR: ${err.message}`);
        return 1;
      }
    });
  }
  if (command === 'current' && rest.length === 0) {
    return withDatabase(url, out, async ({ db }) => {
      out('Running current for nucleon ...');
      const current = await currentRevision(db);
      const head = headRevision();
      if (current === null) out('  (no revision: empty database)');
      else out(current === head ? `${current} (head)` : current);
      out('  OK');
      return 0;
    });
  }
  out(command === undefined ? 'error: no command given' : `error: unknown command '${args.join(' ')}'`);
  out(USAGE);
  return 2;
}

async function withDatabase(
  url: string,
  out: (line: string) => void,
  fn: (database: OpenDatabase) => Promise<number>,
): Promise<number> {
  let database: OpenDatabase;
  try {
    database = await openDatabase(url, { poolSize: 2 });
  } catch (err) {
    out(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  try {
    return await fn(database);
  } catch (err) {
    out(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await database.close();
  }
}

/** Runs a command's main function: a known failure is one line on stderr and exit status 1, never a stack trace. */
import { ConfigError } from '../common/errors.js';
import { SchemaBehind, SchemaAhead, MigrationFailed } from '../db/migrate.js';

const EXPECTED = [ConfigError, SchemaBehind, SchemaAhead, MigrationFailed];

export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err: unknown) => {
      const expected = EXPECTED.some((type) => err instanceof type);
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${name}: ${message}\n`);
      if (!expected && err instanceof Error && process.env.NUCLEON_DEBUG) process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
}

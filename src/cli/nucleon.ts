/**
 * nucleon all-in-one [--state-dir DIR] [--config-file F ...]
 * The whole service on one machine with no configuration: SQLite under
 * ./data (or DIR), migrations applied, 127.0.0.1:9696, noauth. Config files
 * override those defaults.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { loadNeutronConfig } from '../server/config.js';
import { startApiServer } from '../server/apiServer.js';
import { createLogger } from '../server/logger.js';
import { plugCommand, PLUG_USAGE, unplugCommand } from './plug.js';
import { runMain } from './run.js';

const USAGE = 'usage: nucleon all-in-one [--state-dir DIR] [--config-file FILE ...]';

/** Takes `--state-dir DIR` / `--state-dir=DIR` out of argv. */
function takeStateDir(argv: string[]): { stateDir: string; rest: string[] } {
  const rest: string[] = [];
  let stateDir = 'data';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--state-dir') stateDir = argv[++i] ?? stateDir;
    else if (arg.startsWith('--state-dir=')) stateDir = arg.slice('--state-dir='.length);
    else rest.push(arg);
  }
  return { stateDir: resolve(stateDir), rest };
}

async function allInOne(argv: string[]): Promise<number> {
  const started = performance.now();
  const { stateDir, rest } = takeStateDir(argv);
  mkdirSync(stateDir, { recursive: true });
  const { loaded, commandLine } = loadNeutronConfig(rest, {
    DEFAULT: { bind_host: '127.0.0.1', auth_strategy: 'noauth', state_path: stateDir },
    database: { connection: `sqlite:///${stateDir}/nucleon.sqlite` },
  });
  if (commandLine.positional.length > 0 || commandLine.unknownFlags.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const log = createLogger('nucleon', loaded.config.DEFAULT.debug);
  for (const warning of loaded.warnings) log.warn(warning);
  const api = await startApiServer(loaded, log, { migrate: true });
  process.stdout.write(`Nucleon all-in-one: Networking API at ${api.url} (state in ${stateDir})\n`);
  process.stdout.write(`ready in ${Math.round(performance.now() - started)} ms\n`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return 0;
}

runMain('nucleon', async () => {
  const [command, ...argv] = process.argv.slice(2);
  switch (command) {
    case 'all-in-one':
      return allInOne(argv);
    case 'plug':
      return plugCommand(argv);
    case 'unplug':
      return unplugCommand(argv);
    default:
      process.stderr.write(`${USAGE}\n${PLUG_USAGE}\n`);
      return 2;
  }
});

/**
 * nucleon all-in-one [--state-dir DIR] [--api-only] [--config-file F ...]
 *   The whole service on one machine with no configuration (server/allInOne.ts):
 *   SQLite under ./data (or DIR), migrations applied, 127.0.0.1:9696, noauth,
 *   and, as root with iproute2, dnsmasq and haproxy, the three agents.
 * nucleon plug <port> --netns NAME ... / nucleon unplug <port> ...
 *   Attach a namespace to a port (cli/plug.ts).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { parseCommandLine } from '../config/commandLine.js';
import { startAllInOne } from '../server/allInOne.js';
import { createLogger } from '../server/logger.js';
import { plugCommand, PLUG_USAGE, unplugCommand } from './plug.js';
import { runMain } from './run.js';

const USAGE = 'usage: nucleon all-in-one [--state-dir DIR] [--api-only] [--config-file FILE ...]';

/** Takes `--state-dir DIR` / `--state-dir=DIR` and `--api-only` out of argv. */
function takeFlags(argv: string[]): { stateDir: string; apiOnly: boolean; rest: string[] } {
  const rest: string[] = [];
  let stateDir = 'data';
  let apiOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--state-dir') stateDir = argv[++i] ?? stateDir;
    else if (arg.startsWith('--state-dir=')) stateDir = arg.slice('--state-dir='.length);
    else if (arg === '--api-only') apiOnly = true;
    else rest.push(arg);
  }
  return { stateDir: resolve(stateDir), apiOnly, rest };
}

async function allInOne(argv: string[]): Promise<number> {
  const started = performance.now();
  const { stateDir, apiOnly, rest } = takeFlags(argv);
  const commandLine = parseCommandLine(rest);
  if (commandLine.positional.length > 0 || commandLine.unknownFlags.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  mkdirSync(stateDir, { recursive: true });
  const running = await startAllInOne({ stateDir, argv: rest, apiOnly }, (settings) => createLogger('nucleon', settings));
  process.stdout.write(`Nucleon all-in-one: Networking API at ${running.url} (state in ${stateDir})\n`);
  process.stdout.write(
    running.agentsOff === undefined
      ? 'agents: linuxbridge, dhcp, metadata, l3 (in this process)\n'
      : `API only, no agents: ${running.agentsOff}\n`,
  );
  process.stdout.write(`ready in ${Math.round(performance.now() - started)} ms\n`);
  const stop = () => void running.stop().then(() => process.exit(0));
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

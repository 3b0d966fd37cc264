/**
 * The scale-out and fault lab (`npm run lab:ha`): a three-node Galera
 * cluster, a three-node RabbitMQ cluster, three nucleon-servers behind
 * haproxy and simulated agent hosts, all on loopback in a private
 * directory; then each fault under a 16-client load (faults.ts), with the
 * figures printed and written to lab-results/ha-<time>.json and .md.
 * Everything it started is stopped and its directory removed at the end,
 * on an error and on Ctrl-C.
 *
 *   npm run lab:ha                                   # every fault
 *   npm run lab:ha -- --faults server-kill,db-outage
 *   npm run lab:ha -- --keep                         # stays up after the faults until Ctrl-C
 *   npm run lab:ha -- --faults none --scale          # the scale figures (lab/scale.ts) on the same lab
 *
 * Needs root, `npm run build` (the servers run bin/nucleon-server.js), and
 * Debian's mariadb-server, galera-4, mariadb-backup, socat, rabbitmq-server
 * and haproxy.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgentHosts } from './agentHosts.js';
import { startClusterchecks } from './clustercheck.js';
import { FAULT_NAMES, type FaultName, type FaultResult, type LabParts, runFault } from './faults.js';
import { LAB_DB, startGalera } from './galera.js';
import { haMarkdown, type HaResults } from './haReport.js';
import { DB_PORT, startHaproxy } from './haproxy.js';
import { LabProcesses } from './processes.js';
import { startRabbitCluster } from './rabbitCluster.js';
import { DEFAULT_SCALE, runScale, scaleTable } from './scale.js';
import { REPORT_INTERVAL_S, SERVER_PORTS, startServers } from './servers.js';

const USAGE = 'usage: npm run lab:ha -- [--faults a,b|none] [--agents N] [--keep] [--scale [--scale-steps 1000,10000,100000]]\n' + `faults: ${FAULT_NAMES.join(', ')}\n`;
const REPO = resolve(import.meta.dirname, '..');

function options() {
  const { values } = parseArgs({
    options: {
      faults: { type: 'string', default: FAULT_NAMES.join(',') },
      agents: { type: 'string' },
      keep: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      'scale-steps': { type: 'string', default: DEFAULT_SCALE.steps.join(',') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const faults = values.faults === 'none' ? [] : values.faults.split(',').map((f) => f.trim());
  const unknown = faults.filter((f) => !(FAULT_NAMES as readonly string[]).includes(f));
  if (unknown.length > 0) {
    process.stderr.write(`lab:ha: unknown fault(s) ${unknown.join(', ')}\n${USAGE}`);
    process.exit(2);
  }
  // The scale figures want a thousand agents; the faults are clearer with a few.
  const agents = Number(values.agents ?? (values.scale ? 1000 : 20));
  if (!Number.isInteger(agents) || agents < 2) {
    process.stderr.write(`lab:ha: --agents must be an integer >= 2\n${USAGE}`);
    process.exit(2);
  }
  const scaleSteps = values['scale-steps'].split(',').map(Number);
  if (scaleSteps.some((n) => !Number.isInteger(n) || n < 1)) {
    process.stderr.write(`lab:ha: --scale-steps is a list of port counts\n${USAGE}`);
    process.exit(2);
  }
  return { faults: faults as FaultName[], agents, keep: values.keep, scale: values.scale, scaleSteps };
}

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function timed<T>(what: string, buildUp: Record<string, number>, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  log(`${what}...`);
  const value = await step();
  buildUp[what] = Date.now() - started;
  log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return value;
}

async function main(): Promise<void> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('lab:ha runs as root (the Galera and RabbitMQ nodes run as the lab user, in its directory)');
  const lab = LabProcesses.create('nucleon-ha');
  const startedAt = new Date();
  const buildUp: Record<string, number> = {};
  const faults: FaultResult[] = [];
  let stopAgents: (() => Promise<void>) | undefined;
  try {
    log(`lab directory ${lab.dir}`);
    const galera = await timed('galera', buildUp, () => startGalera(lab));
    await startClusterchecks(lab, galera.nodes);
    const rabbit = await timed('rabbitmq', buildUp, () => startRabbitCluster(lab));
    const haproxy = await timed('haproxy', buildUp, () => startHaproxy(lab, SERVER_PORTS, galera.nodes));
    const databaseUrl = `mysql+pymysql://${LAB_DB.user}:${LAB_DB.password}@127.0.0.1:${DB_PORT}/${LAB_DB.database}`;
    const servers = await timed('servers', buildUp, async () => {
      const started = await startServers(lab, { databaseUrl, transportUrl: rabbit.transportUrl });
      await haproxy.waitAllUp(30_000);
      return started;
    });
    const agents = await timed(`${opts.agents} agents`, buildUp, () =>
      startAgentHosts({ transportUrl: rabbit.transportUrl, count: opts.agents, reportIntervalMs: REPORT_INTERVAL_S * 1000 }),
    );
    stopAgents = () => agents.stop();
    const parts: LabParts = { galera, rabbit, haproxy, servers, agents, databaseUrl, log };
    log(`API ${haproxy.apiUrl} (servers ${servers.urls.join(' ')}), database ${databaseUrl}, transport_url ${rabbit.transportUrl}`);

    for (const name of opts.faults) faults.push(await runFault(name, parts));

    if (opts.scale) {
      const report = await runScale(
        { url: haproxy.apiUrl, serverPids: servers.pids(), agents },
        { ...DEFAULT_SCALE, steps: opts.scaleSteps, log },
      );
      process.stdout.write(`\n${scaleTable(report)}\n`);
      writeResults(startedAt, 'scale', JSON.stringify(report, null, 2), `# Scale figures\n\n${scaleTable(report)}\n`);
    }
    if (faults.length > 0) {
      const results: HaResults = {
        startedAt: startedAt.toISOString(),
        machine: `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, shared with other work while it ran`,
        buildUpMs: buildUp,
        agents: opts.agents,
        faults,
      };
      const markdown = haMarkdown(results);
      process.stdout.write(`\n${markdown}\n`);
      writeResults(startedAt, 'ha', JSON.stringify(results, null, 2), markdown);
    }
    if (opts.keep) {
      log(`--keep: the lab stays up (${lab.dir}); Ctrl-C stops it and removes everything`);
      await new Promise(() => undefined);
    }
  } finally {
    await stopAgents?.();
    await lab.cleanup();
  }
  if (faults.some((fault) => !fault.ok)) process.exitCode = 1;
}

function writeResults(startedAt: Date, kind: string, json: string, markdown: string): void {
  const dir = join(REPO, 'lab-results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${kind}-${startedAt.toISOString().replaceAll(':', '-').slice(0, 19)}`);
  writeFileSync(`${base}.json`, json);
  writeFileSync(`${base}.md`, `${markdown}\n`);
  log(`written: ${base}.json, ${base}.md`);
}

await main().catch((err: unknown) => {
  process.stderr.write(`lab:ha: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

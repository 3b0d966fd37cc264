/**
 * Three `nucleon-server` processes (bin/nucleon-server.js, so `npm run
 * build` first) on 127.0.0.1:9691-9693, each with the same generated
 * neutron.conf and ml2_conf.ini as an install-guide controller would have:
 * ML2 with VXLAN tenant networks and a flat physnet1 for the external
 * network, the router service plugin, noauth, the database through haproxy
 * and every RabbitMQ node in transport_url with quorum queues.
 * `nucleon-db-manage upgrade head` runs once, before the first server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually } from '../test/helpers/eventually.js';
import { run } from './commands.js';
import type { LabProcess, LabProcesses } from './processes.js';

export const SERVER_PORTS = [9691, 9692, 9693] as const;
/** Agents report every REPORT_INTERVAL s and are dead after AGENT_DOWN_TIME s: short, so faults show within seconds. */
export const REPORT_INTERVAL_S = 5;
export const AGENT_DOWN_TIME_S = 15;

export interface ServerSettings {
  readonly databaseUrl: string;
  readonly transportUrl: string;
}

export interface LabServers {
  readonly urls: readonly string[];
  readonly configFiles: readonly string[];
  pids(): number[];
  process(index: number): LabProcess;
  kill9(index: number): void;
  /** Starts a stopped server again; resolves when it answers. */
  restart(index: number): Promise<void>;
}

const REPO = resolve(import.meta.dirname, '..');

export function neutronConf(settings: ServerSettings, port: number, index: number): string {
  return [
    '[DEFAULT]',
    'core_plugin = ml2',
    'service_plugins = router',
    'auth_strategy = noauth',
    'bind_host = 127.0.0.1',
    `bind_port = ${port}`,
    `host = controller${index + 1}`,
    `transport_url = ${settings.transportUrl}`,
    `agent_down_time = ${AGENT_DOWN_TIME_S}`,
    'rpc_response_timeout = 30',
    '[database]',
    `connection = ${settings.databaseUrl}`,
    'max_pool_size = 20',
    '[oslo_messaging_rabbit]',
    'rabbit_quorum_queue = true',
    'heartbeat_timeout_threshold = 15',
    // oslo's backoff grows to 30 s between reconnects: after a full broker
    // restart the servers would come back long after the agents, which wait
    // for them to answer. A cloud with 3 s reports would tune it this way too.
    'rabbit_retry_backoff = 1',
    'rabbit_interval_max = 2',
    '[agent]',
    `report_interval = ${REPORT_INTERVAL_S}`,
    '',
  ].join('\n');
}

export const ML2_CONF = [
  '[ml2]',
  'type_drivers = flat,vxlan',
  'tenant_network_types = vxlan',
  'mechanism_drivers = linuxbridge',
  'extension_drivers = port_security',
  '[ml2_type_flat]',
  'flat_networks = physnet1',
  '[ml2_type_vxlan]',
  'vni_ranges = 1001:60000',
  '[securitygroup]',
  'enable_security_group = true',
  '',
].join('\n');

export async function startServers(lab: LabProcesses, settings: ServerSettings): Promise<LabServers> {
  const configFiles: string[] = [];
  const ml2 = join(lab.dir, 'ml2_conf.ini');
  writeFileSync(ml2, ML2_CONF);
  SERVER_PORTS.forEach((port, index) => {
    const dir = join(lab.dir, `server${index + 1}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'neutron.conf');
    writeFileSync(file, neutronConf(settings, port, index));
    configFiles.push(file);
  });
  const argsOf = (index: number) => ['--config-file', configFiles[index] as string, '--config-file', ml2];
  await run(process.execPath, [join(REPO, 'bin/nucleon-db-manage.js'), ...argsOf(0), 'upgrade', 'head']);

  const urls = SERVER_PORTS.map((port) => `http://127.0.0.1:${port}`);
  const processes: LabProcess[] = [];
  const launch = async (index: number) => {
    processes[index] = lab.spawn(`server${index + 1}`, process.execPath, [join(REPO, 'bin/nucleon-server.js'), ...argsOf(index)], { cwd: REPO });
    const url = urls[index] as string;
    await eventually(`nucleon-server ${index + 1} answering`, async () => {
      if (!processes[index]?.alive()) throw new Error(`nucleon-server ${index + 1} exited; see ${processes[index]?.logFile}`);
      return (await fetch(`${url}/v2.0/networks?limit=1`, { headers: { 'x-roles': 'admin', 'x-project-id': 'lab' } })).status === 200;
    }, 60_000);
  };
  await Promise.all(SERVER_PORTS.map((_, index) => launch(index)));
  return {
    urls,
    configFiles,
    pids: () => processes.map((p) => p.pid),
    process: (index) => processes[index] as LabProcess,
    kill9: (index) => processes[index]?.kill9(),
    restart: async (index) => {
      if (processes[index]?.alive()) throw new Error(`lab: nucleon-server ${index + 1} is still running`);
      await launch(index);
    },
  };
}

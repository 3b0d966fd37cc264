/**
 * haproxy in front of the lab's API servers and its Galera cluster, as
 * OpenStack deployments put it (Kolla, OpenStack-Ansible):
 *  - the API on 127.0.0.1:9690, round robin over the servers, each checked
 *    with `GET /` every 500 ms (two failures out, two successes in), and a
 *    request that could not connect sent to another server (redispatch);
 *  - the database on 127.0.0.1:3310, TCP, one active Galera node and the
 *    others `backup`: every server writes through the same node, so their
 *    transactions do not fail Galera's certification against each other;
 *    connections to a node marked down are closed at once; when the first
 *    node is back (Synced, as clustercheck.ts says) new connections go to it
 *    and those on a backup stay until the pools recycle them (as Kolla's
 *    configuration does): for a while two nodes take writes, and a
 *    certification failure is retried as the deadlock it is reported as.
 * The admin socket turns the database off and on (the 30 s outage).
 */
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTERCHECK_BASE_PORT } from './clustercheck.js';
import type { GaleraNode } from './galera.js';
import type { LabProcess, LabProcesses } from './processes.js';
import { eventually } from '../test/helpers/eventually.js';

export const API_PORT = 9690;
export const DB_PORT = 3310;
const API_BACKEND = 'nucleon_api';
const DB_BACKEND = 'galera';

export interface Haproxy {
  readonly apiUrl: string;
  readonly dbPort: number;
  readonly process: LabProcess;
  /** A command on the admin socket (`show servers state`, `disable server b/s`...); its answer. */
  admin(command: string): Promise<string>;
  /** Every Galera server of the backend put in maintenance (sessions killed) or back. */
  setDatabaseReachable(reachable: boolean): Promise<void>;
  /** Per server: UP, DOWN, MAINT..., from `show stat`. */
  serverStates(): Promise<Record<string, string>>;
  /** Until haproxy has every server UP (its checks passed `rise` times). */
  waitAllUp(timeoutMs: number): Promise<void>;
}

export function haproxyConfig(dir: string, apiPorts: readonly number[], galera: readonly GaleraNode[]): string {
  return [
    'global',
    `  stats socket ${join(dir, 'haproxy.sock')} mode 600 level admin`,
    '  maxconn 8000',
    'defaults',
    '  timeout connect 2s',
    '  timeout queue 10s',
    '  timeout client 300s',
    '  timeout server 300s',
    '  timeout check 1s',
    `frontend api`,
    '  mode http',
    `  bind 127.0.0.1:${API_PORT}`,
    `  default_backend ${API_BACKEND}`,
    `backend ${API_BACKEND}`,
    '  mode http',
    '  balance roundrobin',
    '  option httpchk GET /',
    '  option redispatch',
    '  retries 3',
    '  default-server inter 500ms fall 2 rise 2',
    ...apiPorts.map((port, i) => `  server server${i + 1} 127.0.0.1:${port} check`),
    `listen ${DB_BACKEND}`,
    '  mode tcp',
    `  bind 127.0.0.1:${DB_PORT}`,
    // Pooled connections sit idle for long stretches.
    '  timeout client 3600s',
    '  timeout server 3600s',
    '  option tcpka',
    // Synced or not, from clustercheck: an open SQL port says nothing about a joining node.
    '  option httpchk GET /',
    '  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions',
    ...galera.map(
      (node, i) =>
        `  server ${node.name} 127.0.0.1:${node.sqlPort} check port ${CLUSTERCHECK_BASE_PORT + node.index + 1}${i === 0 ? '' : ' backup'}`,
    ),
    '',
  ].join('\n');
}

export async function startHaproxy(lab: LabProcesses, apiPorts: readonly number[], galera: readonly GaleraNode[]): Promise<Haproxy> {
  const configFile = join(lab.dir, 'haproxy.cfg');
  writeFileSync(configFile, haproxyConfig(lab.dir, apiPorts, galera));
  const socketPath = join(lab.dir, 'haproxy.sock');
  const started = lab.spawn('haproxy', '/usr/sbin/haproxy', ['-db', '-f', configFile]);
  const admin = (command: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(socketPath);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.end(`${command}\n`);
    });
  await eventually('haproxy admin socket', async () => (await admin('show info')).includes('Name: HAProxy'), 10_000);
  const serverStates = async (): Promise<Record<string, string>> => {
    const csv = await admin('show stat');
    const states: Record<string, string> = {};
    for (const line of csv.split('\n')) {
      const [proxy, server, ...rest] = line.split(',');
      if (!proxy || !server || proxy.startsWith('#') || server === 'FRONTEND' || server === 'BACKEND') continue;
      states[`${proxy}/${server}`] = rest[15] ?? 'unknown';
    }
    return states;
  };
  return {
    waitAllUp: async (timeoutMs) => {
      await eventually('haproxy: every server UP', async () => Object.values(await serverStates()).every((state) => state.startsWith('UP')), timeoutMs);
    },
    apiUrl: `http://127.0.0.1:${API_PORT}`,
    dbPort: DB_PORT,
    process: started,
    admin,
    serverStates,
    setDatabaseReachable: async (reachable) => {
      for (const node of galera) {
        if (reachable) await admin(`set server ${DB_BACKEND}/${node.name} state ready`);
        else {
          await admin(`set server ${DB_BACKEND}/${node.name} state maint`);
          await admin(`shutdown sessions server ${DB_BACKEND}/${node.name}`);
        }
      }
    },
  };
}

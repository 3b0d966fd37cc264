/**
 * A three-node MariaDB Galera cluster on loopback (Debian's galera-4 and
 * mariadb-server), in the lab's directory: node i listens for SQL on
 * 3310+i, for group communication on 4570+i, for IST on 4580+i and for a
 * mariabackup SST on 4590+i. The first node bootstraps the cluster
 * (--wsrep-new-cluster), the others join it by state transfer.
 *
 *   const galera = await startGalera(lab);
 *   galera.kill9(0); await galera.restart(0);   // rejoins by IST (or SST)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess, LabProcesses } from './processes.js';
import { eventually as waitFor } from '../test/helpers/eventually.js';
import { run } from './commands.js';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
export const MARIADBD = '/usr/sbin/mariadbd';
const NODES = 3;

/** What the servers log in as, through haproxy; the database Nucleon uses. */
export const LAB_DB = { user: 'nucleon', password: 'nucleon', database: 'neutron' } as const;

export interface GaleraNode {
  readonly index: number;
  readonly name: string;
  readonly sqlPort: number;
  readonly socket: string;
}

export interface Galera {
  readonly nodes: readonly GaleraNode[];
  process(index: number): LabProcess;
  errorLog(index: number): string;
  kill9(index: number): void;
  /** SIGSTOP / SIGCONT: the node holds its connections but answers nothing. */
  pause(index: number): void;
  resume(index: number): void;
  /** Starts a stopped node again; resolves when the cluster is back to three, all Synced. */
  restart(index: number): Promise<void>;
  /** The cluster's size and each running node's local state, as wsrep reports them. */
  status(): Promise<Array<{ node: string; clusterSize: number; state: string } | { node: string; down: string }>>;
  waitWhole(timeoutMs: number): Promise<void>;
}

function nodeOf(dir: string, index: number): GaleraNode {
  return { index, name: `galera${index + 1}`, sqlPort: 3311 + index, socket: join(dir, `galera${index + 1}`, 'mysqld.sock') };
}

function configOf(dir: string, node: GaleraNode): string {
  const home = join(dir, node.name);
  const gcomm = Array.from({ length: NODES }, (_, i) => `127.0.0.1:${4571 + i}`).join(',');
  return [
    '[mysqld]',
    `datadir = ${home}/data`,
    `socket = ${node.socket}`,
    `pid-file = ${home}/mysqld.pid`,
    `log-error = ${home}/error.log`,
    'bind-address = 127.0.0.1',
    `port = ${node.sqlPort}`,
    'user = root',
    'skip-name-resolve',
    'max_connections = 500',
    // Galera's requirements: row events, InnoDB, interleaved auto-increment locks.
    'binlog_format = ROW',
    'default_storage_engine = InnoDB',
    'innodb_autoinc_lock_mode = 2',
    'innodb_flush_log_at_trx_commit = 0',
    'innodb_buffer_pool_size = 64M',
    'innodb_log_file_size = 48M',
    'wsrep_on = ON',
    `wsrep_provider = ${GALERA_PROVIDER}`,
    'wsrep_cluster_name = nucleon_lab',
    `wsrep_cluster_address = gcomm://${gcomm}`,
    `wsrep_node_name = ${node.name}`,
    'wsrep_node_address = 127.0.0.1',
    `wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:${4571 + node.index};ist.recv_addr=127.0.0.1:${4581 + node.index};gcache.size=128M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"`,
    // mariabackup, as deployments use: the donor keeps serving while it copies.
    'wsrep_sst_method = mariabackup',
    // The donor's mariabackup runs as root and logs in by unix_socket.
    'wsrep_sst_auth = root:',
    `wsrep_sst_receive_address = 127.0.0.1:${4591 + node.index}`,
    'wsrep_slave_threads = 2',
    '',
  ].join('\n');
}

async function sql(node: GaleraNode, statement: string): Promise<string> {
  return run('/usr/bin/mariadb', ['--no-defaults', `--socket=${node.socket}`, '-uroot', '-N', '-B', '-e', statement]);
}

async function wsrepStatus(node: GaleraNode): Promise<{ clusterSize: number; state: string }> {
  const rows = await sql(node, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_local_state_comment')");
  const values = new Map(rows.trim().split('\n').map((line) => line.split('\t') as [string, string]));
  return { clusterSize: Number(values.get('wsrep_cluster_size') ?? 0), state: values.get('wsrep_local_state_comment') ?? 'unknown' };
}

export async function startGalera(lab: LabProcesses): Promise<Galera> {
  const nodes = Array.from({ length: NODES }, (_, i) => nodeOf(lab.dir, i));
  const processes: LabProcess[] = [];
  for (const node of nodes) {
    const home = join(lab.dir, node.name);
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'my.cnf'), configOf(lab.dir, node));
    await run('/usr/bin/mariadb-install-db', [`--defaults-file=${join(home, 'my.cnf')}`, '--user=root', '--skip-test-db', `--datadir=${home}/data`]);
  }
  const launch = (node: GaleraNode, bootstrap: boolean): LabProcess => {
    const args = [`--defaults-file=${join(lab.dir, node.name, 'my.cnf')}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])];
    const started = lab.spawn(node.name, MARIADBD, args);
    processes[node.index] = started;
    return started;
  };
  const synced = async (node: GaleraNode, size: number) => {
    const s = await wsrepStatus(node);
    return s.clusterSize === size && s.state === 'Synced';
  };

  const first = nodes[0] as GaleraNode;
  launch(first, true);
  await waitFor(`${first.name} bootstrapped`, () => synced(first, 1), 60_000);
  // Users exist before the others join: they arrive with the state transfer.
  await sql(
    first,
    `CREATE DATABASE ${LAB_DB.database}; CREATE USER '${LAB_DB.user}'@'127.0.0.1' IDENTIFIED BY '${LAB_DB.password}'; ` +
      `GRANT ALL ON ${LAB_DB.database}.* TO '${LAB_DB.user}'@'127.0.0.1'`,
  );
  for (const node of nodes.slice(1)) {
    launch(node, false);
    await waitFor(`${node.name} joined`, () => synced(node, node.index + 1), 120_000);
  }

  const galera: Galera = {
    nodes,
    process: (index) => processes[index] as LabProcess,
    errorLog: (index) => join(lab.dir, `galera${index + 1}`, 'error.log'),
    kill9: (index) => processes[index]?.kill9(),
    pause: (index) => processes[index]?.signal('SIGSTOP'),
    resume: (index) => processes[index]?.signal('SIGCONT'),
    restart: async (index) => {
      const previous = processes[index];
      if (previous?.alive()) throw new Error(`lab: ${nodes[index]?.name} is still running`);
      launch(nodes[index] as GaleraNode, false);
      await galera.waitWhole(180_000);
    },
    status: async () =>
      Promise.all(
        nodes.map(async (node) => {
          if (!processes[node.index]?.alive()) return { node: node.name, down: 'not running' };
          try {
            return { node: node.name, ...(await wsrepStatus(node)) };
          } catch (err) {
            return { node: node.name, down: String(err).slice(0, 200) };
          }
        }),
      ),
    waitWhole: async (timeoutMs) => {
      await waitFor('Galera: three nodes, all Synced', async () => (await Promise.all(nodes.map((n) => synced(n, NODES).catch(() => false)))).every(Boolean), timeoutMs);
    },
  };
  return galera;
}

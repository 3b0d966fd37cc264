/**
 * Galera's clustercheck, as deployments run it beside each node (the HA
 * guide's `check port 9200`): an HTTP answer of 200 only while the node is
 * Synced, 503 otherwise. haproxy checks it instead of the SQL port, so a
 * node that is back but still joining (its SQL port open, its queries
 * refused with 1047) gets no connections until it has caught up.
 *
 * Its own process, as deployments run it (xinetd or a container per node):
 * in the lab's process, behind 1 000 simulated agents and the load's
 * clients, a check answered late made haproxy take a healthy cluster out.
 *
 *   node --import tsx lab/clustercheck.ts SOCKET1 SOCKET2 SOCKET3   (node i on CLUSTERCHECK_BASE_PORT + i)
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

import { eventually } from '../test/helpers/eventually.js';
import type { GaleraNode } from './galera.js';
import type { LabProcess, LabProcesses } from './processes.js';

export const CLUSTERCHECK_BASE_PORT = 9200;

/** One connection per node over its socket, kept between checks: a check must be cheaper than a process start. */
class NodeState {
  private connection: Connection | undefined;

  constructor(private readonly socket: string) {}

  async synced(): Promise<boolean> {
    try {
      if (this.connection === undefined) {
        const opened = await createConnection({ socketPath: this.socket, user: 'root', connectTimeout: 1000 });
        // A node killed while the connection idles: forget it, the next check opens another.
        opened.on('error', () => {
          if (this.connection === opened) this.connection = undefined;
        });
        this.connection = opened;
      }
      // A paused node answers nothing: the check fails instead of waiting.
      const [rows] = await this.connection.query<RowDataPacket[]>({ sql: "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'", timeout: 1000 });
      return String(rows[0]?.['Value']) === '4';
    } catch {
      this.connection?.destroy();
      this.connection = undefined;
      return false;
    }
  }
}

/** Serves node i's check on CLUSTERCHECK_BASE_PORT + i (1-based), until the process ends. */
async function serveChecks(sockets: readonly string[]): Promise<void> {
  for (const [index, socket] of sockets.entries()) {
    const state = new NodeState(socket);
    const server = createServer((_request, response) => {
      void state
        .synced()
        .then((ok) => {
          response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
          response.end(ok ? 'Galera node is Synced\n' : 'Galera node is not Synced\n');
        })
        .catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(CLUSTERCHECK_BASE_PORT + index + 1, '127.0.0.1', resolve));
  }
}

/** Starts the checks' process for `nodes` and waits until each answers; the lab stops it with everything else. */
export async function startClusterchecks(lab: LabProcesses, nodes: readonly GaleraNode[]): Promise<LabProcess> {
  const sockets = [...nodes].sort((a, b) => a.index - b.index).map((node) => node.socket);
  const checks = lab.spawn('clustercheck', process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'clustercheck.ts'), ...sockets], {
    cwd: join(import.meta.dirname, '..'),
  });
  for (const node of nodes) {
    await eventually(`clustercheck of galera${node.index + 1} answering`, async () => {
      if (!checks.alive()) throw new Error(`clustercheck exited; see ${checks.logFile}`);
      return (await fetch(`http://127.0.0.1:${CLUSTERCHECK_BASE_PORT + node.index + 1}/`).catch(() => undefined)) !== undefined;
    }, 30_000);
  }
  return checks;
}

if (import.meta.url === `file://${process.argv[1]}`) await serveChecks(process.argv.slice(2));

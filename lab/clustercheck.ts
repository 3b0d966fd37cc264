/**
 * Galera's clustercheck, as deployments run it beside each node (the HA
 * guide's `check port 9200`): an HTTP answer of 200 only while the node is
 * Synced, 503 otherwise. haproxy checks it instead of the SQL port, so a
 * node that is back but still joining (its SQL port open, its queries
 * refused with 1047) gets no connections until it has caught up.
 */
import { createServer, type Server } from 'node:http';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { GaleraNode } from './galera.js';

export const CLUSTERCHECK_BASE_PORT = 9200;

/** One connection per node over its socket, kept between checks: a check must be cheaper than a process start. */
class NodeState {
  private connection: Connection | undefined;

  constructor(private readonly node: GaleraNode) {}

  async synced(): Promise<boolean> {
    try {
      if (this.connection === undefined) {
        const opened = await createConnection({ socketPath: this.node.socket, user: 'root', connectTimeout: 1000 });
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

  close(): void {
    this.connection?.destroy();
  }
}

/** One HTTP check per node on CLUSTERCHECK_BASE_PORT + node number; closed with the returned function. */
export async function startClusterchecks(nodes: readonly GaleraNode[]): Promise<() => Promise<void>> {
  const servers: Server[] = [];
  const states = nodes.map((node) => new NodeState(node));
  for (const node of nodes) {
    const state = states[node.index] as NodeState;
    const server = createServer((_request, response) => {
      void state
        .synced()
        .then((ok) => {
          response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
          response.end(ok ? 'Galera node is Synced\n' : 'Galera node is not Synced\n');
        })
        .catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(CLUSTERCHECK_BASE_PORT + node.index + 1, '127.0.0.1', resolve));
    servers.push(server);
  }
  return async () => {
    states.forEach((state) => state.close());
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  };
}

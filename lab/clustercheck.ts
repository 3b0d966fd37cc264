/**
 * Galera's clustercheck, as deployments run it beside each node (the HA
 * guide's `check port 9200`): an HTTP answer of 200 only while the node is
 * Synced, 503 otherwise. haproxy checks it instead of the SQL port, so a
 * node that is back but still joining (its SQL port open, its queries
 * refused with 1047) gets no connections until it has caught up.
 */
import { createServer, type Server } from 'node:http';
import type { GaleraNode } from './galera.js';
import { run } from './commands.js';

export const CLUSTERCHECK_BASE_PORT = 9200;

async function synced(node: GaleraNode): Promise<boolean> {
  const out = await run('/usr/bin/mariadb', [
    '--no-defaults',
    `--socket=${node.socket}`,
    '-uroot',
    '-N',
    '-B',
    '--connect-timeout=1',
    '-e',
    "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'",
  ]);
  return out.trim().split('\t')[1] === '4';
}

/** One HTTP check per node on CLUSTERCHECK_BASE_PORT + node number; closed with the returned function. */
export async function startClusterchecks(nodes: readonly GaleraNode[]): Promise<() => Promise<void>> {
  const servers: Server[] = [];
  for (const node of nodes) {
    const server = createServer((_request, response) => {
      synced(node)
        .catch(() => false)
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
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  };
}

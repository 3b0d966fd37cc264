/**
 * A TCP relay on a loopback port to another one, which a fault can cut
 * (every relayed connection reset, new ones refused, as when a database
 * host drops off the network) and restore on the same port.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

/** Relays 127.0.0.1:<a free port, or `port`> to 127.0.0.1:<target>. */
export async function startTcpRelay(target: number, port = 0): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let bound = port;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(bound, '127.0.0.1', () => {
        const address = server?.address();
        if (typeof address === 'object' && address) bound = address.port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return bound;
    },
    cut: () =>
      new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    restore: listen,
  };
}

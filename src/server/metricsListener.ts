/**
 * A listener of its own for GET /metrics: each agent's (`[agent]
 * metrics_listen`) and the server's when `[metrics] listen` moves the
 * metrics off the API port. Plain node:http; anything but GET /metrics is a
 * 404, and a collector that fails gives a 503, never a crash.
 */
import { createServer } from 'node:http';

import type { MetricsSource } from '../common/metrics.js';
import type { Logger } from './logger.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port` or `:port` (all addresses); a reason when it is none of these. */
export function parseListenAddress(text: string): ListenAddress | { readonly reason: string } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d+)$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { reason: `'${text}' is not host:port (e.g. 127.0.0.1:9697, [::1]:9697 or :9697)` };
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export interface RunningMetricsListener {
  /** e.g. http://127.0.0.1:9697/metrics */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(address: ListenAddress, source: MetricsSource, log: Logger): Promise<RunningMetricsListener> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at GET /metrics\n');
      return;
    }
    source.render().then(
      (text) => response.writeHead(200, { 'content-type': source.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        log.warn({ err }, 'collecting metrics failed');
        response.writeHead(503, { 'content-type': 'text/plain' }).end('metrics are unavailable right now\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  log.info({ address: `${host}:${port}` }, 'serving metrics at /metrics');
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

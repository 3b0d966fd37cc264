/**
 * The agent's HTTP server on the Unix socket the metadata proxies forward
 * to ([DEFAULT] metadata_proxy_socket). A socket file left by an agent that
 * died is removed at start (listening on an existing path fails); the file
 * mode decides who may connect (proxies run as the agent's user: 0644).
 */
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { dirname } from 'node:path';

import type { Logger } from 'pino';

import type { MetadataRequestHandler } from './requestHandler.js';

/** Metadata requests carry a few bytes (a password POST at most); more is not a VM talking to its metadata. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface SocketServerOptions {
  readonly socketPath: string;
  readonly mode: number;
  readonly backlog: number;
}

export interface RunningSocketServer {
  close(): Promise<void>;
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const stat = await lstat(path);
    if (!stat.isSocket()) throw new Error(`metadata_proxy_socket ${path} exists and is not a socket: refusing to remove it`);
    await rm(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function serveMetadataSocket(options: SocketServerOptions, handler: MetadataRequestHandler, log: Logger): Promise<RunningSocketServer> {
  await mkdir(dirname(options.socketPath), { recursive: true, mode: 0o755 });
  await removeStaleSocket(options.socketPath);
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request);
        const answer = await handler.handle({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body });
        response.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body) });
        response.end(answer.body);
      } catch (err) {
        const tooLarge = err instanceof BodyTooLarge;
        if (!tooLarge) log.error({ err }, 'metadata request failed');
        if (!response.headersSent) response.writeHead(tooLarge ? 413 : 500, { 'Content-Type': 'text/plain; charset=UTF-8', Connection: 'close' });
        response.end(tooLarge ? '413 Request Entity Too Large\n' : '500 Internal Server Error\n');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: options.socketPath, backlog: options.backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'metadata socket server error'));
  await chmod(options.socketPath, options.mode);
  return {
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await rm(options.socketPath, { force: true });
    },
  };
}

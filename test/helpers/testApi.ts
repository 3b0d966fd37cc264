/**
 * A real API server for HTTP integration tests: the same startApiServer the
 * commands use, on a free loopback port, over a throwaway database.
 */
import { createServer } from 'node:net';

import { pino } from 'pino';

import { loadConfig } from '../../src/config/load.js';
import type { Bus } from '../../src/rpc/bus.js';
import { startApiServer } from '../../src/server/apiServer.js';
import { type NeutronOverrides, serverOptionGroups } from '../../src/server/config.js';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export type Headers = Record<string, string>;

export interface TestApi {
  readonly url: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
  request<T = any>(method: string, path: string, body?: unknown, headers?: Headers): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Sends one request; the body is parsed as JSON when there is one. */
export async function httpRequest<T>(base: string, method: string, path: string, body?: unknown, headers: Headers = {}): Promise<ApiResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Headers)['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  const responseHeaders: Headers = {};
  response.headers.forEach((value, key) => (responseHeaders[key] = value));
  return { status: response.status, headers: responseHeaders, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface TestApiOptions {
  /** A bus the test's agents share with the server (default: from transport_url, in-process when unset). */
  readonly bus?: Bus;
}

export async function startTestApi(databaseUrl: string, overrides: NeutronOverrides = {}, options: TestApiOptions = {}): Promise<TestApi> {
  const port = await freePort();
  const loaded = loadConfig({
    files: [],
    groups: serverOptionGroups,
    overrides: {
      ...overrides,
      DEFAULT: { bind_host: '127.0.0.1', bind_port: port, auth_strategy: 'noauth', ...overrides.DEFAULT },
      database: { connection: databaseUrl },
    },
  });
  const api = await startApiServer(loaded, pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' }), { migrate: true, ...options });
  return {
    url: api.url,
    request: (method, path, body, headers) => httpRequest(api.url, method, path, body, headers),
    close: () => api.close(),
  };
}

/** Headers of a non-admin member of `project` under noauth. */
export const asProject = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'member,reader' });

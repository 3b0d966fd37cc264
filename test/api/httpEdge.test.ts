/**
 * The HTTP edge of a real server: [oslo_middleware] max_request_body_size (413 as oslo.middleware's
 * sizelimit), [DEFAULT] max_header_line (400 Header Line Too Long as eventlet.wsgi), eventlet's total
 * header size (400 Headers Too Large) and [DEFAULT] client_socket_timeout (idle connections closed).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { startTestApi, type TestApi } from '../helpers/testApi.js';

const ADMIN = { 'x-project-id': 'p1', 'x-roles': 'admin' };

interface RawAnswer {
  readonly status: number;
  readonly reason: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with node:http, so that headers and chunked bodies are as the test writes them. */
function send(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; chunks?: readonly string[] }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${options.path ?? '/v2.0/networks'}`, { method: options.method ?? 'GET', headers: { ...ADMIN, ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('the HTTP edge (limits and timeouts)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi('sqlite://', {
      DEFAULT: { max_header_line: 1024, client_socket_timeout: 1 },
      oslo_middleware: { max_request_body_size: 2048 },
    });
  });
  after(async () => api.close());

  test('a body over max_request_body_size: 413 HTTPRequestEntityTooLarge, with or without Content-Length', async () => {
    const big = JSON.stringify({ network: { name: 'x'.repeat(3000) } });
    const expected = {
      NeutronError: { type: 'HTTPRequestEntityTooLarge', message: 'Request is too large. Larger than max_request_body_size (2048).', detail: '' },
    };
    const sized = await api.request('POST', '/v2.0/networks', big, ADMIN);
    assert.equal(sized.status, 413);
    assert.deepEqual(sized.body, expected);
    const chunked = await send(api.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, chunks: [big.slice(0, 1500), big.slice(1500)] });
    assert.equal(chunked.status, 413);
    assert.deepEqual(JSON.parse(chunked.body), expected);
    // At the limit is fine.
    const fits = await api.request('POST', '/v2.0/networks', { network: { name: 'n'.repeat(200) } }, ADMIN);
    assert.equal(fits.status, 201);
  });

  test('a header line of max_header_line bytes or more: 400 Header Line Too Long, empty body; one byte less is served', async () => {
    // "X-Long: " + value + CRLF = 1024 bytes
    const tooLong = await send(api.url, { headers: { 'x-long': 'a'.repeat(1024 - 8 - 2) } });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.reason, 'Header Line Too Long');
    assert.equal(tooLong.body, '');
    assert.equal(tooLong.headers['connection'], 'close');
    const fits = await send(api.url, { headers: { 'x-long': 'a'.repeat(1024 - 8 - 3) } });
    assert.equal(fits.status, 200);
  });

  test('headers over 64 KiB in all: 400 Headers Too Large, and the server keeps serving', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 100; i++) headers[`x-h${i}`] = 'b'.repeat(800);
    const answer = await send(api.url, { headers });
    assert.equal(answer.status, 400);
    assert.equal(answer.reason, 'Headers Too Large');
    assert.equal((await api.request('GET', '/v2.0/networks', undefined, ADMIN)).status, 200);
  });

  test("a request line of 8 KiB or more: eventlet's 414 Request URI Too Long, empty body", async () => {
    const path = `/v2.0/networks?name=${'n'.repeat(8192)}`;
    const answer = await send(api.url, { path });
    assert.equal(answer.status, 414);
    assert.equal(answer.reason, 'Request URI Too Long');
    assert.equal(answer.body, '');
    const huge = await send(api.url, { path: `/v2.0/networks?name=${'n'.repeat(70_000)}` });
    assert.equal(huge.status, 414);
    assert.equal((await send(api.url, { path: `/v2.0/networks?name=${'n'.repeat(8000)}` })).status, 200);
  });

  test('an idle keep-alive connection is closed after client_socket_timeout', async () => {
    const port = Number(new URL(api.url).port);
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const seconds = (Date.now() - started) / 1000;
    assert.match(received, /^HTTP\/1\.1 200 OK/);
    assert.ok(seconds >= 0.9 && seconds < 5, `closed after ${seconds} s`);
  });

  test('a client that sends half its headers and stops is cut off too', async () => {
    const port = Number(new URL(api.url).port);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const started = Date.now();
    socket.write('GET /v2.0/networks HTTP/1.1\r\nHost: localhost\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 5, `closed after ${seconds} s`);
  });
});

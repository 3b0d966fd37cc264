/**
 * The HTTP edge: how much a client may send and how long it may take, with
 * the answers Neutron's own stack gives.
 *
 *   body over [oslo_middleware] max_request_body_size    413 HTTPRequestEntityTooLarge (oslo.middleware's sizelimit;
 *                                                        fastify stops reading at the limit, chunked bodies too)
 *   a header line of max_header_line bytes or more      400 "Header Line Too Long", empty body, connection closed
 *   all headers over 64 KiB (eventlet's total)          400 "Headers Too Large", empty body, connection closed
 *   a request line of 8 KiB or more (eventlet's)        414 "Request URI Too Long", empty body, connection closed
 *   (both as Neutron's eventlet.wsgi server answers them, before Neutron sees the request)
 *
 * Timeouts (Node's http.Server, through fastify's options):
 *   keepAliveTimeout   = client_socket_timeout: an idle keep-alive connection is closed after it
 *   connectionTimeout  = client_socket_timeout: a socket with no traffic at all (a stalled upload) is closed
 *   headersTimeout     = 60 s: a client must send its headers within it (slowloris)
 *   requestTimeout     = 300 s: and its whole request, body included (Node's default, which fastify turns off)
 * client_socket_timeout = 0 keeps connections open as long as clients like, as in Neutron; the last two still hold.
 */
import type { ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

import { NeutronError } from '../common/errors.js';

export interface HttpEdge {
  /** [oslo_middleware] max_request_body_size, bytes. */
  readonly maxBodyBytes: number;
  /** [DEFAULT] max_header_line, bytes. */
  readonly maxHeaderLine: number;
  /** [DEFAULT] client_socket_timeout, seconds; 0: no idle limit. */
  readonly clientSocketTimeoutSeconds: number;
}

/** The defaults of the options above (oslo.middleware's and Neutron's). */
export const DEFAULT_HTTP_EDGE: HttpEdge = { maxBodyBytes: 114688, maxHeaderLine: 16384, clientSocketTimeoutSeconds: 900 };

/** eventlet.wsgi's MAX_TOTAL_HEADER_SIZE. */
export const MAX_TOTAL_HEADER_BYTES = 65536;
/** eventlet.wsgi's MAX_REQUEST_LINE (its url_length_limit): a request line, CRLF included, of this many bytes is a 414. */
export const MAX_REQUEST_LINE = 8192;
export const HEADERS_TIMEOUT_MS = 60_000;
export const REQUEST_TIMEOUT_MS = 300_000;

/** What eventlet writes for a header line too long or headers too large (status line, then an empty body). */
const HEADER_LINE_TOO_LONG = 'Header Line Too Long';
const HEADERS_TOO_LARGE = 'Headers Too Large';
const REQUEST_URI_TOO_LONG = 'Request URI Too Long';

export interface EdgeServerOptions {
  readonly bodyLimit: number;
  readonly keepAliveTimeout: number;
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly http: ServerOptions;
  readonly clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']>;
}

export function edgeServerOptions(edge: HttpEdge): EdgeServerOptions {
  const idleMs = edge.clientSocketTimeoutSeconds * 1000;
  return {
    bodyLimit: edge.maxBodyBytes,
    // fastify reads 0 as "its default" (72 s); Node's own 0 (no limit) is set after the server exists (applyEdgeTimeouts).
    keepAliveTimeout: idleMs || 1,
    connectionTimeout: idleMs,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Node's parser must not refuse a line that max_header_line allows: the line check is ours (checkHeaderLines).
    http: { maxHeaderSize: Math.max(MAX_TOTAL_HEADER_BYTES, edge.maxHeaderLine + 1024) },
    clientErrorHandler: answerClientError,
  };
}

/** What fastify cannot set through its options. */
export function applyEdgeTimeouts(server: { headersTimeout: number; keepAliveTimeout: number }, edge: HttpEdge): void {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  if (edge.clientSocketTimeoutSeconds === 0) server.keepAliveTimeout = 0;
}

/**
 * A request Node's parser refused before it became a request: headers over the
 * total (eventlet's 400 Headers Too Large), headers or body not sent in time
 * (the connection is closed, as eventlet closes a socket that timed out), or not HTTP at all (400).
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // Node counts the request line in its header limit; eventlet refuses a long one first, with a 414.
    const raw = (error as { rawPacket?: unknown }).rawPacket;
    socket.end(Buffer.isBuffer(raw) && inLongRequestLine(raw) ? emptyResponse(414, REQUEST_URI_TOO_LONG) : emptyResponse(400, HEADERS_TOO_LARGE));
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end(emptyResponse(408, 'Request Timeout'));
  } else {
    const body = JSON.stringify({ NeutronError: { type: 'HTTPBadRequest', message: 'Bad request syntax.', detail: '' } });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}

/**
 * Whether the overflow happened in the request line. Node hands over only the chunk it was parsing: the
 * request line ends in it (a first line ending in HTTP/1.x) or has not ended yet (no line end and no header in it).
 */
function inLongRequestLine(chunk: Buffer): boolean {
  const text = chunk.toString('latin1');
  const end = text.indexOf('\n');
  if (end < 0) return !text.includes(': ');
  const firstLine = text.slice(0, end + 1);
  if (!/ HTTP\/\d\.\d\r?\n$/.test(firstLine)) return false;
  // The whole request line is in this chunk when it starts with a method; else it began in an earlier one.
  return !/^[A-Z]+ \//.test(firstLine) || firstLine.length >= MAX_REQUEST_LINE;
}

function emptyResponse(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/**
 * eventlet reads each header line with a limit of max_header_line bytes, CRLF included, and answers
 * 400 Header Line Too Long when a line reaches it. True when the request was answered so.
 */
export function refuseLongHeaderLine(request: FastifyRequest, reply: FastifyReply, maxHeaderLine: number): boolean {
  // "GET <url> HTTP/1.1" CRLF
  if (request.method.length + (request.raw.url ?? '').length + 12 >= MAX_REQUEST_LINE) {
    request.log.info({ bytes: (request.raw.url ?? '').length }, 'request line too long');
    reply.raw.statusMessage = REQUEST_URI_TOO_LONG;
    void reply.code(414).header('connection', 'close').send();
    return true;
  }
  const raw = request.raw.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    // Node decodes header bytes as latin1: one character per byte.
    if (name.length + 2 + value.length + 2 >= maxHeaderLine) {
      request.log.info({ header: name, bytes: name.length + value.length + 4, max_header_line: maxHeaderLine }, 'header line too long');
      reply.raw.statusMessage = HEADER_LINE_TOO_LONG;
      void reply.code(400).header('connection', 'close').send();
      return true;
    }
  }
  return false;
}

/** oslo.middleware's sizelimit answer, as a NeutronError. */
export function requestTooLarge(maxBodyBytes: number): NeutronError {
  return new NeutronError(413, 'HTTPRequestEntityTooLarge', `Request is too large. Larger than max_request_body_size (${maxBodyBytes}).`);
}

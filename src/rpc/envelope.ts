/**
 * The JSON bodies both transports send, modelled on oslo.messaging's:
 *
 *   request  {"method": "report_state", "args": {...},
 *             "_context": {"request_id": "req-...", "project_id": "...", ...}}
 *   reply    {"result": <json>}   or   {"failure": {"type": "PortNotFound", "message": "...", "status": 404}}
 *
 * Routing (topic, reply queue, correlation id) is the transport's business.
 * Everything received is `unknown` until parsed here; a malformed body is
 * reported, never thrown into a handler.
 */
import { randomUUID } from 'node:crypto';
import { NeutronError } from '../common/errors.js';
import type { RpcArgs, RpcContext } from './bus.js';
import type { RemoteFailure } from './errors.js';

export interface RequestMessage {
  readonly method: string;
  readonly args: RpcArgs;
  readonly context: RpcContext;
}

export type ReplyMessage = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly failure: RemoteFailure };

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** Serializes a request; throws (a TypeError from JSON.stringify, or an Error) when `args` is not JSON. */
export function encodeRequest(method: string, args: RpcArgs, context: RpcContext | undefined): string {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new Error('args must be an object of named arguments');
  }
  const ctx = context ?? { requestId: newRequestId() };
  const wireContext: Record<string, unknown> = { request_id: ctx.requestId };
  if (ctx.projectId !== undefined) wireContext['project_id'] = ctx.projectId;
  if (ctx.userId !== undefined) wireContext['user_id'] = ctx.userId;
  if (ctx.roles !== undefined) wireContext['roles'] = ctx.roles;
  if (ctx.isAdmin !== undefined) wireContext['is_admin'] = ctx.isAdmin;
  return JSON.stringify({ method, args, _context: wireContext });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseContext(value: unknown): RpcContext {
  if (!isRecord(value)) return { requestId: newRequestId() };
  const requestId = typeof value['request_id'] === 'string' ? value['request_id'] : newRequestId();
  const projectId = value['project_id'];
  const userId = value['user_id'];
  const roles = value['roles'];
  const isAdmin = value['is_admin'];
  return {
    requestId,
    ...(typeof projectId === 'string' ? { projectId } : {}),
    ...(typeof userId === 'string' ? { userId } : {}),
    ...(Array.isArray(roles) && roles.every((r): r is string => typeof r === 'string') ? { roles } : {}),
    ...(typeof isAdmin === 'boolean' ? { isAdmin } : {}),
  };
}

/** Parses a request body; returns a reason instead of throwing for anything malformed. */
export function parseRequest(text: string): RequestMessage | { readonly malformed: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { malformed: `not JSON: ${(err as Error).message}` };
  }
  if (!isRecord(body)) return { malformed: 'not a JSON object' };
  const method = body['method'];
  if (typeof method !== 'string' || method === '') return { malformed: 'no method' };
  const args = body['args'] ?? {};
  if (!isRecord(args)) return { malformed: `args of '${method}' is not an object` };
  return { method, args, context: parseContext(body['_context']) };
}

/** What a thrown value looks like to the caller: type name and message, never the stack. */
export function failureOf(err: unknown): RemoteFailure {
  if (err instanceof NeutronError) return { type: err.type, message: err.message, status: err.status };
  if (err instanceof Error) {
    const type = err.name !== 'Error' && err.name !== '' ? err.name : err.constructor.name || 'Error';
    return { type, message: err.message };
  }
  return { type: 'Error', message: String(err) };
}

/** Serializes a handler's result, or its failure; a result that is not JSON becomes a failure. */
export function encodeReply(reply: ReplyMessage): string {
  if (!reply.ok) return JSON.stringify({ failure: reply.failure });
  try {
    return JSON.stringify({ result: reply.result === undefined ? null : reply.result });
  } catch (err) {
    return JSON.stringify({
      failure: { type: 'RpcPayloadError', message: `the result is not JSON: ${(err as Error).message}` },
    });
  }
}

export function parseReply(text: string): ReplyMessage | { readonly malformed: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { malformed: `not JSON: ${(err as Error).message}` };
  }
  if (!isRecord(body)) return { malformed: 'not a JSON object' };
  if ('failure' in body) {
    const failure = body['failure'];
    if (!isRecord(failure)) return { malformed: 'failure is not an object' };
    const type = typeof failure['type'] === 'string' ? failure['type'] : 'Error';
    const message = typeof failure['message'] === 'string' ? failure['message'] : '';
    const status = failure['status'];
    return { ok: false, failure: { type, message, ...(typeof status === 'number' ? { status } : {}) } };
  }
  return { ok: true, result: body['result'] ?? null };
}

/** The failure a call to a method the consumer does not serve gets (oslo's NoSuchMethod). */
export function noSuchMethod(topic: string, method: string): RemoteFailure {
  return { type: 'NoSuchMethod', message: `Endpoint does not support RPC method ${method} on topic ${topic}` };
}

/** Looks a method up without reaching prototype members (`constructor`, `toString`). */
export function handlerFor<H>(handlers: Readonly<Record<string, H>>, method: string): H | undefined {
  return Object.hasOwn(handlers, method) ? handlers[method] : undefined;
}

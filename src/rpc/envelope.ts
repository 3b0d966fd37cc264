/**
 * Message bodies exactly as oslo.messaging's AMQP drivers write them
 * (oslo_messaging/_drivers/common.py serialize_msg, amqpdriver.py _send and
 * _send_reply, amqp.py pack_context), so that Neutron's own agents and
 * servers read ours and we read theirs:
 *
 *   {"oslo.version": "2.0", "oslo.message": "<the message, as a JSON string>"}
 *
 *   request  {"method": "report_state", "args": {...}, "version": "1.2",
 *             ["namespace": ...,] "_unique_id": "<hex>",
 *             "_context_request_id": "req-...", "_context_roles": [...], ...,
 *             and for a call: "_msg_id": "<hex>", "_reply_q": "reply_<hex>", "_timeout": null}
 *   reply    {"result": <json>, "failure": null, "ending": true, "_msg_id": "<hex>", "_unique_id": "<hex>"}
 *   failure  "failure": "{\"class\": \"PortNotFound\", \"module\": \"neutron_lib.exceptions\",
 *                        \"message\": \"...\", \"tb\": [], \"args\": [\"...\"], \"kwargs\": {}}"
 *
 * A body without the envelope (a bare message, as oslo still accepts) is
 * read too. Everything received is `unknown` until parsed here; a malformed
 * body is reported, never thrown into a handler.
 */
import { randomUUID } from 'node:crypto';
import { NeutronError } from '../common/errors.js';
import { pythonDatetime } from '../common/time.js';
import type { RpcArgs, RpcContext, SendOptions } from './bus.js';
import type { RemoteFailure } from './errors.js';

const VERSION_KEY = 'oslo.version';
const MESSAGE_KEY = 'oslo.message';
const ENVELOPE_VERSION = '2.0';
const CONTEXT_PREFIX = '_context_';

export interface RequestMessage {
  readonly method: string;
  readonly args: RpcArgs;
  readonly context: RpcContext;
  /** The API version the sender asked for; oslo's dispatcher reads a missing one as 1.0. */
  readonly version: string;
  /** Neutron sends none (all its RPC namespaces are None). */
  readonly namespace: string | undefined;
  /** Set for a call: the id its reply must carry, and the queue it goes to. */
  readonly reply: { readonly msgId: string; readonly queue: string } | undefined;
}

/** What a sender puts in a request besides method and arguments. */
export interface RequestOptions extends SendOptions {
  /** For a call: the id the reply will carry and the queue it is to be sent to. */
  readonly reply?: { readonly msgId: string; readonly queue: string } | undefined;
}

export type ReplyMessage = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly failure: RemoteFailure };

/** A reply as received: `ending: false` is a call-monitor heartbeat, not the answer. */
export interface ReceivedReply {
  readonly msgId: string;
  readonly ending: boolean;
  readonly reply: ReplyMessage;
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** oslo's message ids and unique ids: a uuid4 as 32 hex digits. */
export function newMessageId(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * The keys of neutron_lib's Context.to_dict(), as an agent's admin context
 * (`get_admin_context_without_session`) or a request's context fills them.
 */
export function wireContext(ctx: RpcContext): Record<string, unknown> {
  const projectId = ctx.projectId ?? null;
  const userId = ctx.userId ?? null;
  const isAdmin = ctx.isAdmin ?? (ctx.projectId === undefined && ctx.userId === undefined);
  const roles = ctx.roles ?? (isAdmin ? ['admin'] : []);
  return {
    user: userId,
    project_id: projectId,
    system_scope: null,
    project: projectId,
    domain: null,
    user_domain: null,
    project_domain: null,
    is_admin: isAdmin,
    read_only: false,
    show_deleted: false,
    auth_token: null,
    request_id: ctx.requestId,
    global_request_id: null,
    resource_uuid: null,
    roles,
    user_identity: `${userId ?? '-'} ${projectId ?? '-'} - - -`,
    is_admin_project: true,
    user_id: userId,
    tenant_id: projectId,
    timestamp: pythonDatetime(),
    tenant_name: null,
    project_name: null,
    user_name: null,
  };
}

function envelope(message: Record<string, unknown>): string {
  return JSON.stringify({ [VERSION_KEY]: ENVELOPE_VERSION, [MESSAGE_KEY]: JSON.stringify(message) });
}

/** Serializes a request; throws (a TypeError from JSON.stringify, or an Error) when `args` is not JSON. */
export function encodeRequest(method: string, args: RpcArgs, options: RequestOptions = {}): string {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new Error('args must be an object of named arguments');
  }
  const message: Record<string, unknown> = { method, args };
  if (options.namespace !== undefined) message['namespace'] = options.namespace;
  if (options.version !== undefined) message['version'] = options.version;
  if (options.reply) {
    message['_msg_id'] = options.reply.msgId;
    message['_reply_q'] = options.reply.queue;
    message['_timeout'] = null; // no call-monitor heartbeats asked for
  }
  message['_unique_id'] = newMessageId();
  for (const [key, value] of Object.entries(wireContext(options.context ?? { requestId: newRequestId() }))) {
    message[`${CONTEXT_PREFIX}${key}`] = value;
  }
  return envelope(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message inside an envelope (or a bare message), or why there is none. */
function openEnvelope(text: string): { readonly message: Record<string, unknown> } | { readonly malformed: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { malformed: `not JSON: ${(err as Error).message}` };
  }
  if (!isRecord(body)) return { malformed: 'not a JSON object' };
  if (!(VERSION_KEY in body)) return { message: body };
  const version = body[VERSION_KEY];
  if (typeof version !== 'string' || version.split('.')[0] !== ENVELOPE_VERSION.split('.')[0]) {
    return { malformed: `unsupported envelope version ${JSON.stringify(version)}` };
  }
  const inner = body[MESSAGE_KEY];
  if (typeof inner !== 'string') return { malformed: `${MESSAGE_KEY} is not a string` };
  let message: unknown;
  try {
    message = JSON.parse(inner);
  } catch (err) {
    return { malformed: `${MESSAGE_KEY} is not JSON: ${(err as Error).message}` };
  }
  return isRecord(message) ? { message } : { malformed: `${MESSAGE_KEY} is not a JSON object` };
}

function parseContext(message: Record<string, unknown>): RpcContext {
  const get = (key: string): unknown => message[`${CONTEXT_PREFIX}${key}`];
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const requestId = text(get('request_id')) ?? newRequestId();
  const projectId = text(get('project_id')) ?? text(get('tenant_id')) ?? text(get('project')) ?? text(get('tenant'));
  const userId = text(get('user_id')) ?? text(get('user'));
  const roles = get('roles');
  const isAdmin = get('is_admin');
  return {
    requestId,
    ...(projectId !== undefined ? { projectId } : {}),
    ...(userId !== undefined ? { userId } : {}),
    ...(Array.isArray(roles) && roles.every((r): r is string => typeof r === 'string') ? { roles } : {}),
    ...(typeof isAdmin === 'boolean' ? { isAdmin } : {}),
  };
}

/** Parses a request body; returns a reason instead of throwing for anything malformed. */
export function parseRequest(text: string): RequestMessage | { readonly malformed: string } {
  const opened = openEnvelope(text);
  if ('malformed' in opened) return opened;
  const { message } = opened;
  const method = message['method'];
  if (typeof method !== 'string' || method === '') return { malformed: 'no method' };
  const args = message['args'] ?? {};
  if (!isRecord(args)) return { malformed: `args of '${method}' is not an object` };
  const version = message['version'] ?? '1.0';
  if (typeof version !== 'string' || !/^\d+\.\d+(\.\d+)?$/.test(version)) {
    return { malformed: `version of '${method}' is not a version: ${JSON.stringify(version)}` };
  }
  const namespace = message['namespace'] ?? undefined;
  if (namespace !== undefined && typeof namespace !== 'string') return { malformed: `namespace of '${method}' is not a string` };
  const msgId = message['_msg_id'];
  const replyQueue = message['_reply_q'];
  let reply: RequestMessage['reply'];
  if (msgId !== undefined && msgId !== null) {
    if (typeof msgId !== 'string' || typeof replyQueue !== 'string' || replyQueue === '') {
      return { malformed: `call '${method}' without a string _msg_id and _reply_q` };
    }
    reply = { msgId, queue: replyQueue };
  }
  return { method, args, context: parseContext(message), version, namespace, reply };
}

/**
 * What a thrown value looks like to the caller, in oslo's failure fields:
 * the class name (a NeutronError's type, which neutron_lib.exceptions
 * mostly defines), the message, never the stack.
 */
export function failureOf(err: unknown): RemoteFailure {
  if (err instanceof NeutronError) return { type: err.type, message: err.message, module: 'neutron_lib.exceptions' };
  if (err instanceof Error) {
    const type = err.name !== 'Error' && err.name !== '' ? err.name : err.constructor.name || 'Error';
    return { type, message: err.message, module: 'nucleon' };
  }
  return { type: 'Error', message: String(err), module: 'nucleon' };
}

/** oslo's serialize_remote_exception: a JSON string inside the reply. */
function encodeFailure(failure: RemoteFailure): string {
  return JSON.stringify({
    class: failure.type,
    module: failure.module ?? 'nucleon',
    message: failure.message,
    tb: [],
    args: [failure.message],
    kwargs: {},
  });
}

/** Serializes a call's reply, or its failure; a result that is not JSON becomes a failure. */
export function encodeReply(msgId: string, reply: ReplyMessage): string {
  const message = (result: unknown, failure: RemoteFailure | null): Record<string, unknown> => ({
    result,
    failure: failure === null ? null : encodeFailure(failure),
    ending: true,
    _msg_id: msgId,
    _unique_id: newMessageId(),
  });
  if (!reply.ok) return envelope(message(null, reply.failure));
  try {
    return envelope(message(reply.result === undefined ? null : reply.result, null));
  } catch (err) {
    return envelope(message(null, { type: 'RpcPayloadError', message: `the result is not JSON: ${(err as Error).message}`, module: 'nucleon' }));
  }
}

function parseFailure(value: unknown): RemoteFailure | { readonly malformed: string } {
  let failure: unknown = value;
  if (typeof value === 'string') {
    try {
      failure = JSON.parse(value);
    } catch (err) {
      return { malformed: `failure is not JSON: ${(err as Error).message}` };
    }
  }
  if (!isRecord(failure)) return { malformed: 'failure is not an object' };
  const type = typeof failure['class'] === 'string' ? failure['class'] : 'Error';
  const message = typeof failure['message'] === 'string' ? failure['message'] : '';
  const module = failure['module'];
  return { type, message, ...(typeof module === 'string' ? { module } : {}) };
}

export function parseReply(text: string): ReceivedReply | { readonly malformed: string } {
  const opened = openEnvelope(text);
  if ('malformed' in opened) return opened;
  const { message } = opened;
  const msgId = message['_msg_id'];
  if (typeof msgId !== 'string') return { malformed: 'reply without _msg_id' };
  const ending = message['ending'] === true;
  const failure = message['failure'];
  if (failure !== undefined && failure !== null) {
    const parsed = parseFailure(failure);
    if ('malformed' in parsed) return { malformed: parsed.malformed };
    return { msgId, ending, reply: { ok: false, failure: parsed } };
  }
  return { msgId, ending, reply: { ok: true, result: message['result'] ?? null } };
}

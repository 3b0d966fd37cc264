/**
 * Which handler answers a request, as oslo.messaging's RPCDispatcher decides
 * (oslo_messaging/rpc/dispatcher.py): a method is served when the request's
 * namespace is its endpoint's (Neutron's are all None) and the requested
 * version is compatible with the version its endpoint implements (same
 * major, minor not above). Otherwise the caller gets `NoSuchMethod` when
 * some endpoint on the topic is compatible, `UnsupportedVersion` when none
 * is, with oslo's messages, so a Neutron agent reads the refusal it expects.
 *
 * Both transports answer through here.
 */
import type { DeliveryKind, RpcHandlers, RpcLogger } from './bus.js';
import { failureOf, type ReplyMessage, type RequestMessage } from './envelope.js';
import type { RemoteFailure } from './errors.js';

const DISPATCHER_MODULE = 'oslo_messaging.rpc.dispatcher';

/** oslo's version_is_compatible: `requested` can be served by an endpoint implementing `implemented`. */
export function versionIsCompatible(implemented: string | undefined, requested: string): boolean {
  if (implemented === undefined) return true;
  const [major, minor, rev] = requested.split('.').map((part) => Number.parseInt(part, 10));
  const [impMajor, impMinor, impRev] = implemented.split('.').map((part) => Number.parseInt(part, 10));
  if (major !== impMajor) return false;
  if ((minor ?? 0) > (impMinor ?? 0)) return false;
  if ((minor ?? 0) === (impMinor ?? 0) && (rev ?? 0) > (impRev ?? 0)) return false;
  return true;
}

/** Looks a method up without reaching prototype members (`constructor`, `toString`). */
function handlerFor<H>(handlers: Readonly<Record<string, H>>, method: string): H | undefined {
  return Object.hasOwn(handlers, method) ? handlers[method] : undefined;
}

/** What one topic serves: handlers by method and, per method, the version its endpoint implements. */
export interface Served {
  readonly topic: string;
  readonly handlers: RpcHandlers;
  /** Methods without an entry accept every version (an endpoint without a target version). */
  readonly versions: Readonly<Record<string, string>> | undefined;
}

function refusal(served: Served, request: RequestMessage): RemoteFailure {
  const anyCompatible =
    request.namespace === undefined &&
    Object.keys(served.handlers).some((method) => versionIsCompatible(served.versions?.[method], request.version));
  return anyCompatible
    ? { type: 'NoSuchMethod', module: DISPATCHER_MODULE, message: `Endpoint does not support RPC method ${request.method}` }
    : {
        type: 'UnsupportedVersion',
        module: DISPATCHER_MODULE,
        message: `Endpoint does not support RPC version ${request.version}. Attempted method: ${request.method}`,
      };
}

/** Runs the request's handler; resolves with what a call would be answered (never rejects). */
export async function dispatch(served: Served, request: RequestMessage, kind: DeliveryKind, log: RpcLogger): Promise<ReplyMessage> {
  const { topic } = served;
  const { method, args, context } = request;
  const handler = handlerFor(served.handlers, method);
  if (!handler || request.namespace !== undefined || !versionIsCompatible(served.versions?.[method], request.version)) {
    const failure = refusal(served, request);
    log.warn({ topic, method, version: request.version, kind, reason: failure.type }, 'RPC method not served');
    return { ok: false, failure };
  }
  try {
    return { ok: true, result: await handler(args, { context, topic, method, kind }) };
  } catch (err) {
    if (kind !== 'call') log.error({ err, topic, method, kind, requestId: context.requestId }, 'RPC handler failed');
    return { ok: false, failure: failureOf(err) };
  }
}

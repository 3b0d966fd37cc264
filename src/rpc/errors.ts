/**
 * Errors of the message bus. A caller of `call()` sees exactly one of:
 *
 *   RpcTimeout       no reply within the timeout (names topic and method)
 *   RpcRemoteError   the remote handler threw; carries the remote error's
 *                    type name and message (never its stack)
 *   RpcBusClosed     the bus was closed before or while the call ran
 *   RpcBufferFull    the bus is disconnected and its outgoing buffer is full
 *   RpcPayloadError  the arguments are not JSON-serializable
 *   RpcInvalidResult the reply does not match the method's contract
 *                    (contract/client.ts)
 *
 * A served contract answers a call whose arguments do not match it with an
 * RpcRemoteError of type `RpcInvalidArguments` (contract/serve.ts), as it
 * answers an unknown method with one of type `NoSuchMethod` and a version
 * it does not serve with one of type `UnsupportedVersion`, as oslo does.
 *
 * They are plain errors, not NeutronErrors: whether a timed-out agent call
 * becomes a 500 or something else is the caller's decision.
 */

/** Base class: every error the bus itself raises. */
export class RpcError extends Error {
  override readonly name: string = 'RpcError';
}

export class RpcTimeout extends RpcError {
  override readonly name = 'RpcTimeout';
  constructor(
    readonly topic: string,
    readonly method: string,
    readonly timeoutMs: number,
    readonly server?: string,
  ) {
    super(
      `Timed out after ${timeoutMs} ms waiting for a reply to '${method}' on topic ` +
        `'${server === undefined ? topic : `${topic}.${server}`}'`,
    );
  }
}

/** What travels back when a remote handler throws (oslo's failure): its class name, message and module. */
export interface RemoteFailure {
  readonly type: string;
  readonly message: string;
  /** The Python module oslo names with the class (`neutron_lib.exceptions`, `oslo_messaging.rpc.dispatcher`). */
  readonly module?: string;
}

export class RpcRemoteError extends RpcError {
  override readonly name = 'RpcRemoteError';
  /** The remote error's type: a NeutronError's `type` (`PortNotFound`), else its class name (`TypeError`). */
  readonly remoteType: string;
  readonly remoteMessage: string;
  constructor(
    readonly topic: string,
    readonly method: string,
    failure: RemoteFailure,
  ) {
    super(`Remote error from '${method}' on topic '${topic}': ${failure.type}: ${failure.message}`);
    this.remoteType = failure.type;
    this.remoteMessage = failure.message;
  }
}

export class RpcBusClosed extends RpcError {
  override readonly name = 'RpcBusClosed';
  constructor(what: string) {
    super(`The message bus is closed: ${what}`);
  }
}

export class RpcBufferFull extends RpcError {
  override readonly name = 'RpcBufferFull';
  constructor(
    readonly topic: string,
    readonly method: string,
    readonly limit: number,
  ) {
    super(
      `Message '${method}' on topic '${topic}' refused: the message bus is not connected and ` +
        `${limit} messages are already waiting to be sent`,
    );
  }
}

export class RpcPayloadError extends RpcError {
  override readonly name = 'RpcPayloadError';
  constructor(
    readonly topic: string,
    readonly method: string,
    reason: string,
  ) {
    super(`Arguments of '${method}' on topic '${topic}' are not JSON: ${reason}`);
  }
}

/** A payload that does not match its method's contract (contract/): `reason` names what is wrong. */
export abstract class RpcContractMismatch extends RpcError {
  constructor(
    readonly topic: string,
    readonly method: string,
    readonly reason: string,
    what: 'arguments for' | 'result from',
  ) {
    super(`Invalid ${what} '${method}' on topic '${topic}': ${reason}`);
  }
}

/** Arguments that do not match the method's contract; the caller sees it as an RpcRemoteError of this type. */
export class RpcInvalidArguments extends RpcContractMismatch {
  override readonly name = 'RpcInvalidArguments';
  constructor(topic: string, method: string, reason: string) {
    super(topic, method, reason, 'arguments for');
  }
}

/** A reply that does not match the method's contract: the call failed, as if the remote side had. */
export class RpcInvalidResult extends RpcContractMismatch {
  override readonly name = 'RpcInvalidResult';
  constructor(topic: string, method: string, reason: string) {
    super(topic, method, reason, 'result from');
  }
}

/** The first connection to the broker could not be made within `connectTimeoutMs`. */
export class RpcConnectError extends RpcError {
  override readonly name = 'RpcConnectError';
}

/** A `transport_url` that cannot be used; the message never contains the password. */
export class InvalidTransportUrl extends RpcError {
  override readonly name = 'InvalidTransportUrl';
}

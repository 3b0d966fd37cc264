/**
 * The agent's side of Nova's metadata API: a VM's request, re-sent on behalf
 * of the instance the agent identified. Nova trusts X-Instance-ID only with
 * a valid X-Instance-ID-Signature, the hex HMAC-SHA256 of the instance id
 * under the secret both sides share (metadata_proxy_shared_secret).
 *
 * Only the four headers Neutron sends go to Nova; nothing the VM sent in its
 * own headers is passed on.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

import type { NovaMetadataEndpoint } from './settings.js';

export function signInstanceId(sharedSecret: string, instanceId: string): string {
  return createHmac('sha256', sharedSecret).update(instanceId).digest('hex');
}

export interface ForwardedRequest {
  readonly method: string;
  /** Path and query string, as the VM asked. */
  readonly path: string;
  readonly body: Buffer;
  /** The VM's address (the trusted entry of X-Forwarded-For). */
  readonly clientIp: string;
  readonly instanceId: string;
  readonly projectId: string;
}

export interface NovaAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** Nova could not be reached or did not answer in time; `timedOut` tells which. */
export class NovaUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(`Nova metadata API at ${url} ${timedOut ? 'did not answer in time' : `is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`}`, { cause });
  }
}

/** Nova answers are small documents; a larger one is cut off rather than held in memory. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export class NovaMetadataClient {
  readonly baseUrl: string;

  constructor(private readonly endpoint: NovaMetadataEndpoint) {
    // An IPv6 literal goes in brackets in a URL (Neutron's valid_ipv6_url).
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    this.baseUrl = `${endpoint.protocol}://${host}:${endpoint.port}`;
  }

  /**
   * Nova's URL for the path a VM asked for. Only the path and query are
   * taken: resolving the request target against the base URL would let a VM
   * send the signed request elsewhere (`//host/x` and an absolute-form
   * `http://host/x` both name another host).
   */
  urlFor(target: string): URL {
    if (target.startsWith('/')) return new URL(`${this.baseUrl}${target}`);
    const parsed = URL.canParse(target) ? new URL(target) : new URL(`/${target}`, 'http://target.invalid');
    return new URL(`${this.baseUrl}${parsed.pathname}${parsed.search}`);
  }

  forward(forwarded: ForwardedRequest): Promise<NovaAnswer> {
    const url = this.urlFor(forwarded.path);
    const headers = {
      'X-Forwarded-For': forwarded.clientIp,
      'X-Instance-ID': forwarded.instanceId,
      'X-Tenant-ID': forwarded.projectId,
      'X-Instance-ID-Signature': signInstanceId(this.endpoint.sharedSecret, forwarded.instanceId),
      ...(forwarded.body.length > 0 ? { 'Content-Length': String(forwarded.body.length) } : {}),
    };
    const tls =
      this.endpoint.protocol === 'https'
        ? {
            rejectUnauthorized: !this.endpoint.insecure,
            ...(this.endpoint.caCert === undefined ? {} : { ca: this.endpoint.caCert }),
            ...(this.endpoint.clientCert === undefined ? {} : { cert: this.endpoint.clientCert }),
            ...(this.endpoint.clientKey === undefined ? {} : { key: this.endpoint.clientKey }),
          }
        : {};
    const send = this.endpoint.protocol === 'https' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const outgoing = send(url, { method: forwarded.method, headers, ...tls }, (answer) => {
        readAnswer(answer).then(resolve, (err: unknown) => reject(new NovaUnreachable(this.baseUrl, timedOut, err)));
      });
      outgoing.setTimeout(this.endpoint.timeoutMs, () => {
        timedOut = true;
        outgoing.destroy(new Error('timed out'));
      });
      outgoing.on('error', (err) => reject(new NovaUnreachable(this.baseUrl, timedOut, err)));
      outgoing.end(forwarded.body);
    });
  }
}

async function readAnswer(answer: IncomingMessage): Promise<NovaAnswer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return { status: answer.statusCode ?? 502, contentType: answer.headers['content-type'], body: Buffer.concat(chunks) };
}

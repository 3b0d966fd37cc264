/**
 * One metadata request, from the proxy's headers to Nova's answer (Neutron's
 * MetadataProxyHandler, neutron/agent/metadata/proxy_base.py):
 *
 *   X-Neutron-Network-ID or X-Neutron-Router-ID (set by haproxy; both at
 *   once means a VM forged one: 404) + X-Forwarded-For (the VM's address)
 *   -> the port there -> its device_id and project -> Nova, signed.
 *
 * Every failure becomes an answer to the VM that says what went wrong; none
 * escapes to stop the agent.
 */
import type { IncomingHttpHeaders } from 'node:http';

import type { Logger } from 'pino';

import { RpcError, RpcRemoteError } from '../../rpc/errors.js';
import { clientAddressOf } from './clientAddress.js';
import type { InstanceLookup, ProxyOwner } from './instanceLookup.js';
import { NovaUnreachable, type NovaAnswer, type NovaMetadataClient } from './novaMetadataClient.js';

export interface MetadataRequest {
  readonly method: string;
  /** Path and query string. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface MetadataResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Plain text like webob's error pages: "<status> <reason>", a blank line, the explanation. */
function plain(status: number, explanation: string): MetadataResponse {
  return { status, contentType: 'text/plain; charset=UTF-8', body: `${status} ${REASONS[status] ?? ''}\n\n${explanation}\n` };
}

const NOT_FOUND = plain(404, 'The resource could not be found.');

/** The all-in-one without a Nova: JSON so that cloud-init and people both see why. */
const NO_METADATA_SERVICE: MetadataResponse = {
  status: 404,
  contentType: 'application/json',
  body: `${JSON.stringify({
    error: 'no_metadata_service',
    message:
      'No metadata service is configured: the Nucleon metadata agent has no Nova metadata API to forward this request to. ' +
      'Configure nova_metadata_host/nova_metadata_port (metadata_agent.ini) to serve instance metadata.',
  })}\n`,
};

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.at(-1) : value;
};

export class MetadataRequestHandler {
  constructor(
    private readonly lookup: InstanceLookup,
    /** Undefined: no metadata service is configured. */
    private readonly nova: NovaMetadataClient | undefined,
    private readonly log: Logger,
  ) {}

  async handle(request: MetadataRequest): Promise<MetadataResponse> {
    if (this.nova === undefined) return NO_METADATA_SERVICE;
    const networkId = header(request.headers, 'x-neutron-network-id');
    const routerId = header(request.headers, 'x-neutron-router-id');
    if (networkId && routerId) {
      // haproxy deletes the other kind, so a VM put one there itself.
      this.log.debug({ networkId, routerId }, 'metadata request with both a network and a router id: dropped');
      return NOT_FOUND;
    }
    const owner: ProxyOwner | undefined = networkId ? { kind: 'network', id: networkId } : routerId ? { kind: 'router', id: routerId } : undefined;
    if (owner === undefined) return plain(400, 'The request did not come through a metadata proxy: it has no X-Neutron-Network-ID or X-Neutron-Router-ID.');
    const forwardedFor = request.headers['x-forwarded-for'];
    const client = clientAddressOf(Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor);
    if (client === undefined) return plain(400, 'The request has no valid X-Forwarded-For address.');

    try {
      let instance = await this.lookup.find(owner, client);
      if (instance === undefined) return NOT_FOUND;
      const forward = (id: { instanceId: string; projectId: string }): Promise<NovaAnswer> =>
        this.nova!.forward({ method: request.method, path: request.url, body: request.body, clientIp: client.ip, ...id });
      let answer = await forward(instance);
      if (answer.status === 404) {
        // Nova does not know the instance we remembered: the port may have
        // moved to another instance within the cache's lifetime. Ask again.
        instance = await this.lookup.find(owner, client, true);
        if (instance === undefined) return NOT_FOUND;
        answer = await forward(instance);
      }
      if (answer.status === 403) this.log.warn('Nova metadata API answered 403 Forbidden: metadata_proxy_shared_secret probably differs from Nova\'s');
      if (answer.status >= 500) this.log.warn({ status: answer.status }, 'Nova metadata API answered with an error');
      return { status: answer.status, contentType: answer.contentType ?? 'application/octet-stream', body: answer.body };
    } catch (err) {
      if (err instanceof NovaUnreachable) {
        this.log.warn({ err: err.message }, 'cannot reach the Nova metadata API');
        return err.timedOut
          ? plain(504, 'The remote metadata server did not answer in time. Please try again later.')
          : plain(503, 'The remote metadata server is temporarily unavailable. Please try again later.');
      }
      if (err instanceof RpcError && !(err instanceof RpcRemoteError)) {
        // The bus or the server is away (a timeout, a closed connection): it will be back.
        this.log.warn({ err: err.message }, 'the Neutron server did not answer the instance lookup');
        return plain(503, 'The Neutron server did not answer the instance lookup. Please try again later.');
      }
      this.log.error({ err, owner, client: client.ip }, 'metadata request failed');
      return plain(500, 'An unknown error has occurred. Please try your request again.');
    }
  }
}

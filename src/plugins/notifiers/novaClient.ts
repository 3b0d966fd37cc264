/**
 * The one Nova call Neutron makes, as novaclient makes it with microversion 2.1:
 *
 *   POST <compute endpoint>/os-server-external-events
 *   X-Auth-Token: <token of the [nova] user>
 *   X-OpenStack-Nova-API-Version: 2.1
 *   {"events": [{"server_uuid", "name", "status"?, "tag"?}, ...]}
 *
 * The token comes from Keystone with the service catalog (password login,
 * cached until shortly before it expires, renewed once when Nova answers
 * 401); the endpoint is the catalog's `compute` service with the configured
 * interface and region. An endpoint without a version (`http://nova:8774`)
 * gets `/v2.1`, as keystoneauth's version discovery would find.
 *
 * Outcomes are data (accepted with Nova's per-event answers, not found,
 * rejected); what may work a moment later (Keystone or Nova unreachable, a
 * timeout, a 5xx, no compute endpoint in the catalog) is thrown as
 * NovaUnavailable for the caller to retry.
 */
import { randomUUID } from 'node:crypto';

import { findEndpoint } from '../../keystone/catalog.js';
import { describeFetchError, type Fetch, KeystoneUnavailable, readBody } from '../../keystone/identityClient.js';
import type { ServiceToken } from '../../keystone/serviceToken.js';

export const NOVA_API_VERSION = '2.1';

export type NovaEventName = 'network-vif-plugged' | 'network-vif-unplugged' | 'network-vif-deleted' | 'network-changed';

/** One event of the request body; Nova's answer repeats it with a `code`. */
export interface NovaEvent {
  readonly server_uuid: string;
  readonly name: NovaEventName;
  readonly status?: 'completed' | 'failed';
  readonly tag?: string;
}

export type CreateEventsResult =
  /** 200 (all events accepted) or 207 (some not): Nova's list of events, each with its `code`. */
  | { readonly kind: 'accepted'; readonly status: number; readonly events: unknown }
  /** 404: none of the servers exists. */
  | { readonly kind: 'not-found' }
  /** Any other 4xx (a 401 even with a fresh token): retrying would not help. */
  | { readonly kind: 'rejected'; readonly status: number; readonly detail: string };

/** Worth trying again later: Keystone or Nova could not answer. */
export class NovaUnavailable extends Error {
  override readonly name = 'NovaUnavailable';
}

export interface NovaClientOptions {
  /** The [nova] user's token, logged in with the catalog. */
  readonly token: ServiceToken;
  /** [nova] endpoint_type: public, internal or admin. */
  readonly endpointType: string;
  /** [nova] region_name; unset: any region. */
  readonly region?: string | undefined;
  /** Deadline of each call to Nova. */
  readonly timeoutMs: number;
  readonly fetch?: Fetch;
}

/** `http://nova:8774/v2.1` as it is; `http://nova:8774/` -> `http://nova:8774/v2.1`. */
export function computeApiUrl(endpoint: string): string {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.split('/').some((segment) => /^v2(\.\d+)?$/.test(segment))) url.pathname = `${path}/v2.1`;
  else url.pathname = path;
  return url.toString().replace(/\/+$/, '');
}

export class NovaClient {
  private readonly fetch: Fetch;
  /** POSTs made (for tests and logs). */
  posts = 0;

  constructor(private readonly options: NovaClientOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /** Posts `events`; `signal` aborts the call (server shutdown). */
  async createEvents(events: readonly NovaEvent[], signal?: AbortSignal): Promise<CreateEventsResult> {
    for (let attempt = 0; ; attempt += 1) {
      const { token, url } = await this.endpoint();
      const { status, json, text } = await this.post(url, token, events, signal);
      if (status === 401 && attempt === 0) {
        // keystoneauth's reauthentication: the token was revoked or expired early; log in once more.
        this.options.token.invalidate(token);
        continue;
      }
      if (status === 200 || status === 207) {
        const answered = typeof json === 'object' && json !== null && 'events' in json ? json.events : json;
        return { kind: 'accepted', status, events: answered };
      }
      if (status === 404) return { kind: 'not-found' };
      if (status >= 500) throw new NovaUnavailable(`Nova answered HTTP ${status}: ${text.slice(0, 200)}`);
      return { kind: 'rejected', status, detail: text.slice(0, 500) };
    }
  }

  /** The token and the events URL from its catalog. */
  private async endpoint(): Promise<{ token: string; url: string }> {
    let session;
    try {
      session = await this.options.token.session();
    } catch (error) {
      if (error instanceof KeystoneUnavailable) throw new NovaUnavailable(error.message);
      throw error;
    }
    const { endpointType, region } = this.options;
    const found = findEndpoint(session.catalog, { serviceType: 'compute', interface: endpointType, region });
    if (found === undefined) {
      // As Neutron invalidates its session: the next attempt logs in again and sees the catalog as it is then.
      this.options.token.invalidate(session.token);
      const where = region === undefined ? `interface ${endpointType}` : `interface ${endpointType}, region ${region}`;
      throw new NovaUnavailable(`the Keystone catalog has no compute endpoint (${where})`);
    }
    return { token: session.token, url: `${computeApiUrl(found)}/os-server-external-events` };
  }

  private async post(url: string, token: string, events: readonly NovaEvent[], signal: AbortSignal | undefined) {
    const seconds = this.options.timeoutMs / 1000;
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    this.posts += 1;
    try {
      const response = await this.fetch(url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-auth-token': token,
          'x-openstack-nova-api-version': NOVA_API_VERSION,
          'x-openstack-request-id': `req-${randomUUID()}`,
        },
        body: JSON.stringify({ events }),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        redirect: 'error',
      });
      return { status: response.status, ...(await readBody(response)) };
    } catch (error) {
      if (signal?.aborted) throw error;
      if (deadline.aborted) throw new NovaUnavailable(`Nova did not answer within ${seconds} s`);
      throw new NovaUnavailable(`Nova cannot be reached at ${url}: ${describeFetchError(error)}`);
    }
  }
}

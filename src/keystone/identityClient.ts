/**
 * The two Keystone v3 calls the server makes, each with a deadline:
 *
 *   POST /v3/auth/tokens[?nocatalog] password, project scope -> the service token
 *                                    (with the service catalog when asked for)
 *   GET  /v3/auth/tokens?nocatalog   X-Auth-Token: service, X-Subject-Token: user's
 *
 * Keystone's answers become data (valid, invalid, service token refused,
 * forbidden); anything that means "Keystone cannot answer now" (refused or
 * reset connections, timeouts, 5xx, a body that is not a token) is thrown as
 * KeystoneUnavailable, which the authenticator turns into a 503.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { type CatalogService, parseCatalog } from './catalog.js';
import type { ServiceCredentials } from './credentials.js';
import { parseToken, type TokenInfo } from './tokenInfo.js';

export type Fetch = typeof fetch;

export class KeystoneUnavailable extends Error {
  override readonly name = 'KeystoneUnavailable';
}

/** The connection failed before Keystone answered (refused, reset): worth another try. */
class ConnectionFailed extends KeystoneUnavailable {}

export type ValidateResult =
  | { readonly kind: 'valid'; readonly token: TokenInfo }
  /** 404 (unknown, expired or revoked token) or 400 (not a token at all). */
  | { readonly kind: 'invalid' }
  /** 401: the service token itself was refused (expired, revoked): get a new one. */
  | { readonly kind: 'service-token-refused' }
  /** 403: the service user may not validate tokens (it needs the admin or service role). */
  | { readonly kind: 'forbidden' };

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
  /** The service catalog; empty unless asked for. */
  readonly catalog: readonly CatalogService[];
}

export interface IssueOptions {
  /** Ask for the service catalog too (to find another service's endpoint). */
  readonly catalog?: boolean;
}

export interface IdentityClientOptions {
  /** Ends in /v3. */
  readonly identityUrl: string;
  /** Deadline of each call, connection to last byte. */
  readonly timeoutMs: number;
  /** Tries again after a connection that failed (refused, reset: keystoneauth's connect_retries); never after a timeout. Default 0. */
  readonly connectRetries?: number;
  /** Pause before the first of those, ms, doubling each time; default 500 (keystoneauth's connect_retry_delay). */
  readonly connectRetryDelayMs?: number;
  readonly fetch?: Fetch;
  /** The configuration section the credentials come from, for messages; default keystone_authtoken. */
  readonly credentialsSection?: string;
}

export class IdentityClient {
  private readonly tokensUrl: string;
  private readonly fetch: Fetch;

  constructor(private readonly options: IdentityClientOptions) {
    this.tokensUrl = `${options.identityUrl.replace(/\/+$/, '')}/auth/tokens`;
    this.fetch = options.fetch ?? fetch;
  }

  /** Logs in with the service credentials; throws KeystoneUnavailable when that is impossible now. */
  async issueToken(credentials: ServiceCredentials, options: IssueOptions = {}): Promise<IssuedToken> {
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { ...credentials.user, password: credentials.password } } },
        scope: { project: credentials.project },
      },
    };
    const url = options.catalog === true ? this.tokensUrl : `${this.tokensUrl}?nocatalog`;
    const { status, headers, json } = await this.call('POST', url, { 'content-type': 'application/json' }, JSON.stringify(body));
    if (status === 401) {
      const section = this.options.credentialsSection ?? 'keystone_authtoken';
      throw new KeystoneUnavailable(`Keystone refused the service credentials ([${section}] username/password)`);
    }
    if (status !== 201 && status !== 200) throw new KeystoneUnavailable(`Keystone answered HTTP ${status} to the service login`);
    const token = headers.get('x-subject-token');
    const info = parseToken(json);
    if (!token || !info) throw new KeystoneUnavailable('Keystone answered the service login without a token');
    return { token, expiresAt: info.expiresAt, catalog: options.catalog === true ? parseCatalog(json) : [] };
  }

  /** Asks Keystone what `userToken` is, with `serviceToken` as the caller. */
  async validate(serviceToken: string, userToken: string): Promise<ValidateResult> {
    const { status, json } = await this.call('GET', `${this.tokensUrl}?nocatalog`, { 'x-auth-token': serviceToken, 'x-subject-token': userToken });
    switch (status) {
      case 200: {
        const token = parseToken(json);
        if (!token) throw new KeystoneUnavailable('Keystone answered a token validation with a body that is not a token');
        return { kind: 'valid', token };
      }
      case 400:
      case 404:
        return { kind: 'invalid' };
      case 401:
        return { kind: 'service-token-refused' };
      case 403:
        return { kind: 'forbidden' };
      default:
        throw new KeystoneUnavailable(`Keystone answered HTTP ${status} to a token validation`);
    }
  }

  private async call(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string) {
    const retries = this.options.connectRetries ?? 0;
    let delayMs = this.options.connectRetryDelayMs ?? 500;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.callOnce(method, url, headers, body);
      } catch (error) {
        if (!(error instanceof ConnectionFailed) || attempt >= retries) throw error;
        await sleep(delayMs);
        delayMs *= 2;
      }
    }
  }

  private async callOnce(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string) {
    const seconds = this.options.timeoutMs / 1000;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await this.fetch(url, {
        method,
        headers: { accept: 'application/json', ...headers },
        ...(body !== undefined ? { body } : {}),
        signal,
        redirect: 'error',
      });
      const { json } = await readBody(response);
      return { status: response.status, headers: response.headers, json };
    } catch (error) {
      if (signal.aborted) throw new KeystoneUnavailable(`Keystone did not answer within ${seconds} s`);
      throw new ConnectionFailed(`Keystone cannot be reached: ${describeFetchError(error)}`);
    }
  }
}

/** A response's text, and its JSON when it is JSON (undefined otherwise). */
export async function readBody(response: Response): Promise<{ readonly text: string; readonly json: unknown }> {
  const text = await response.text();
  try {
    return { text, json: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

/** `fetch failed` hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
export function describeFetchError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const reasons: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ECONNRESET: 'connection reset',
      ENOTFOUND: 'host name not found',
      EAI_AGAIN: 'host name lookup failed',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      UND_ERR_SOCKET: 'connection closed',
    };
    return (code && reasons[code]) ?? cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

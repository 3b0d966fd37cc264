/**
 * The two Keystone v3 calls the server makes, each with a deadline:
 *
 *   POST /v3/auth/tokens?nocatalog   password, project scope -> the service token
 *   GET  /v3/auth/tokens?nocatalog   X-Auth-Token: service, X-Subject-Token: user's
 *
 * Keystone's answers become data (valid, invalid, service token refused,
 * forbidden); anything that means "Keystone cannot answer now" (refused or
 * reset connections, timeouts, 5xx, a body that is not a token) is thrown as
 * KeystoneUnavailable, which the authenticator turns into a 503.
 */
import type { ServiceCredentials } from './settings.js';
import { parseToken, type TokenInfo } from './tokenInfo.js';

export type Fetch = typeof fetch;

export class KeystoneUnavailable extends Error {
  override readonly name = 'KeystoneUnavailable';
}

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
}

export interface IdentityClientOptions {
  /** Ends in /v3. */
  readonly identityUrl: string;
  /** Deadline of each call, connection to last byte. */
  readonly timeoutMs: number;
  readonly fetch?: Fetch;
}

export class IdentityClient {
  private readonly tokensUrl: string;
  private readonly fetch: Fetch;

  constructor(private readonly options: IdentityClientOptions) {
    this.tokensUrl = `${options.identityUrl.replace(/\/+$/, '')}/auth/tokens?nocatalog`;
    this.fetch = options.fetch ?? fetch;
  }

  /** Logs in with the service credentials; throws KeystoneUnavailable when that is impossible now. */
  async issueToken(credentials: ServiceCredentials): Promise<IssuedToken> {
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { ...credentials.user, password: credentials.password } } },
        scope: { project: credentials.project },
      },
    };
    const { status, headers, json } = await this.call('POST', { 'content-type': 'application/json' }, JSON.stringify(body));
    if (status === 401) throw new KeystoneUnavailable('Keystone refused the service credentials ([keystone_authtoken] username/password)');
    if (status !== 201 && status !== 200) throw new KeystoneUnavailable(`Keystone answered HTTP ${status} to the service login`);
    const token = headers.get('x-subject-token');
    const info = parseToken(json);
    if (!token || !info) throw new KeystoneUnavailable('Keystone answered the service login without a token');
    return { token, expiresAt: info.expiresAt };
  }

  /** Asks Keystone what `userToken` is, with `serviceToken` as the caller. */
  async validate(serviceToken: string, userToken: string): Promise<ValidateResult> {
    const { status, json } = await this.call('GET', { 'x-auth-token': serviceToken, 'x-subject-token': userToken });
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

  private async call(method: 'GET' | 'POST', headers: Record<string, string>, body?: string) {
    const seconds = this.options.timeoutMs / 1000;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await this.fetch(this.tokensUrl, {
        method,
        headers: { accept: 'application/json', ...headers },
        ...(body !== undefined ? { body } : {}),
        signal,
        redirect: 'error',
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, json };
    } catch (error) {
      if (signal.aborted) throw new KeystoneUnavailable(`Keystone did not answer within ${seconds} s`);
      throw new KeystoneUnavailable(`Keystone cannot be reached: ${describeFetchError(error)}`);
    }
  }
}

/** `fetch failed` hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function describeFetchError(error: unknown): string {
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

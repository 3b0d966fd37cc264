/**
 * The server's own token (neutron in project service), which it shows
 * Keystone to validate users' tokens. Obtained on first use, renewed shortly
 * before it expires (keystoneauth's margin: two minutes, or half the lifetime
 * of a short-lived token) or as soon as Keystone refuses it. Concurrent
 * callers share one login. With `catalog`, the login asks for the service
 * catalog too, kept with the token (to find another service's endpoint).
 */
import type { IdentityClient, IssuedToken } from './identityClient.js';
import type { ServiceCredentials } from './credentials.js';

const RENEW_MARGIN_MS = 120_000;

export class ServiceToken {
  private current: (IssuedToken & { readonly renewAt: number }) | undefined;
  private pending: Promise<IssuedToken> | undefined;
  /** How many times the server has logged in (for tests and logs). */
  logins = 0;

  constructor(
    private readonly client: IdentityClient,
    private readonly credentials: ServiceCredentials,
    private readonly now: () => number = Date.now,
    private readonly options: { readonly catalog?: boolean } = {},
  ) {}

  /**
   * A token that is not about to expire; throws KeystoneUnavailable when none
   * can be had. When renewing fails, a token that has not expired yet still serves.
   */
  async get(): Promise<string> {
    return (await this.session()).token;
  }

  /** As get(), with the token's expiry and catalog. */
  async session(): Promise<IssuedToken> {
    const current = this.current;
    if (current && this.now() < current.renewAt) return current;
    this.pending ??= this.login();
    try {
      return await this.pending;
    } catch (error) {
      if (current && current === this.current && this.now() < current.expiresAt) return current;
      throw error;
    }
  }

  /** Keystone refused `token`: forget it, unless it has already been replaced. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async login(): Promise<IssuedToken> {
    try {
      this.logins += 1;
      const issuedAt = this.now();
      const issued = await this.client.issueToken(this.credentials, { catalog: this.options.catalog === true });
      const lifetime = issued.expiresAt - issuedAt;
      this.current = { ...issued, renewAt: issued.expiresAt - Math.min(RENEW_MARGIN_MS, lifetime / 2) };
      return issued;
    } finally {
      this.pending = undefined;
    }
  }
}

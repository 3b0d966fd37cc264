/**
 * auth_strategy = keystone: what keystonemiddleware's auth_token does in
 * front of Neutron. Every /v2.0 request must carry `X-Auth-Token`; the token
 * is validated against Keystone with the server's own service token, and
 * the answer is kept in a bounded in-process LRU for token_cache_time
 * seconds (never beyond the token's expires_at), so only the first request
 * with a new token costs a Keystone round trip; concurrent first requests
 * share that one, and at most 64 calls for different tokens are open at once
 * (more wait up to one call deadline for a turn, so no request waits more than two).
 *
 *   no token, unknown, expired or revoked token   401 + WWW-Authenticate: Keystone uri="..."
 *   Keystone unreachable, slow, 5xx, refusing us  503, within the call deadline
 *
 * The headers a caller could forge (X-Project-Id, X-Roles...) are never read.
 */
import { createHash } from 'node:crypto';

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../../common/context.js';
import { NeutronError } from '../../common/errors.js';
import { type Fetch, IdentityClient, KeystoneUnavailable } from '../../keystone/identityClient.js';
import { ServiceToken } from '../../keystone/serviceToken.js';
import type { TokenInfo } from '../../keystone/tokenInfo.js';
import { TtlCache } from '../../keystone/ttlCache.js';
import type { KeystoneSettings } from './settings.js';
import { contextFromToken } from './tokenContext.js';

/** keystonemiddleware's words; the status and WWW-Authenticate are what clients act on. */
export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';
export const UNAVAILABLE_MESSAGE = 'The Keystone service is temporarily unavailable.';

/** Deadline of each call to Keystone when [keystone_authtoken] http_connect_timeout is unset. */
export const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_MAX_CONCURRENT_VALIDATIONS = 64;
/** Fernet tokens are ~200 characters, JWS tokens under 1 KiB: anything far longer is not a token. */
const MAX_TOKEN_LENGTH = 8192;
const TOKEN_SYNTAX = /^[\x21-\x7e]+$/;

export interface KeystoneAuthOptions {
  readonly timeoutMs?: number;
  /** Overrides http_request_max_retries (tests). */
  readonly connectRetries?: number;
  /** First pause before trying a failed connection again, ms; doubles each time. Default 500 (keystoneauth's). */
  readonly connectRetryDelayMs?: number;
  readonly maxCacheEntries?: number;
  /** Validations of different tokens at Keystone at once; more wait for a turn within the call deadline. Default 64. */
  readonly maxConcurrentValidations?: number;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

/** Counters, for tests and for judging the cache. */
export interface KeystoneAuthStats {
  /** GET /v3/auth/tokens calls made. */
  validations: number;
  /** Requests answered from the cache. */
  cacheHits: number;
  /** Requests that waited for another request's validation of the same token. */
  sharedValidations: number;
  /** Validations refused because maxConcurrentValidations were open for the whole call deadline. */
  turnsRefused: number;
  /** Service logins (POST /v3/auth/tokens). */
  readonly logins: number;
}

export interface KeystoneAuth {
  /** The app's `authenticate` hook: the caller's context, or a 401/403/503 NeutronError. */
  authenticate(request: Pick<FastifyRequest, 'headers' | 'log'>, requestId: string): Promise<RequestContext>;
  /** Adds `WWW-Authenticate` to every 401 the app sends, as keystonemiddleware does. */
  register(app: FastifyInstance): void;
  readonly stats: KeystoneAuthStats;
}

type CacheEntry = { readonly kind: 'valid'; readonly token: TokenInfo } | { readonly kind: 'invalid' };

const unauthorized = () => new NeutronError(401, 'HTTPUnauthorized', UNAUTHORIZED_MESSAGE);
const unavailable = (reason: string) => new NeutronError(503, 'HTTPServiceUnavailable', UNAVAILABLE_MESSAGE, reason);

export function createKeystoneAuth(settings: KeystoneSettings, log: FastifyBaseLogger, options: KeystoneAuthOptions = {}): KeystoneAuth {
  const now = options.now ?? Date.now;
  const client = new IdentityClient({
    identityUrl: settings.identityUrl,
    timeoutMs: options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    connectRetries: options.connectRetries ?? settings.connectRetries ?? 0,
    ...(options.connectRetryDelayMs !== undefined ? { connectRetryDelayMs: options.connectRetryDelayMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const serviceToken = new ServiceToken(client, settings.credentials, now);
  const cache = new TtlCache<string, CacheEntry>(options.maxCacheEntries ?? DEFAULT_MAX_ENTRIES, now);
  const cacheMs = settings.tokenCacheSeconds > 0 ? settings.tokenCacheSeconds * 1000 : 0;
  const inFlight = new Map<string, Promise<CacheEntry>>();
  const stats = {
    validations: 0,
    cacheHits: 0,
    sharedValidations: 0,
    turnsRefused: 0,
    get logins() {
      return serviceToken.logins;
    },
  };
  for (const note of settings.notes) log.info(note);

  /** Asks Keystone; a refused service token is replaced once. */
  const validate = async (token: string): Promise<CacheEntry> => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const service = await serviceToken.get();
      stats.validations += 1;
      const result = await client.validate(service, token);
      switch (result.kind) {
        case 'valid':
          return { kind: 'valid', token: result.token };
        case 'invalid':
          return { kind: 'invalid' };
        case 'service-token-refused':
          serviceToken.invalidate(service);
          continue;
        case 'forbidden':
          throw new KeystoneUnavailable('Keystone does not let the service user validate tokens: give it the admin or service role');
        default: {
          const never: never = result;
          throw new Error(`unknown validation result ${JSON.stringify(never)}`);
        }
      }
    }
    throw new KeystoneUnavailable('Keystone refused a fresh service token');
  };

  // However many distinct tokens arrive while Keystone is slow, at most this many calls are open at once;
  // the others wait for a turn, and a request that gets none within the call deadline is a 503 like a timeout.
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const turns = new Turns(options.maxConcurrentValidations ?? DEFAULT_MAX_CONCURRENT_VALIDATIONS);
  const lookup = async (key: string, token: string): Promise<CacheEntry> => {
    if (!(await turns.take(timeoutMs))) {
      stats.turnsRefused += 1;
      throw new KeystoneUnavailable(`too many token validations waiting for Keystone (${turns.limit} at once)`);
    }
    let entry: CacheEntry;
    try {
      entry = await validate(token);
    } finally {
      turns.give();
    }
    if (cacheMs > 0) {
      const until = now() + cacheMs;
      cache.set(key, entry, entry.kind === 'valid' ? Math.min(until, entry.token.expiresAt) : until);
    }
    return entry;
  };

  const entryFor = async (token: string): Promise<CacheEntry> => {
    const key = createHash('sha256').update(token).digest('base64');
    const cached = cache.get(key);
    if (cached) {
      stats.cacheHits += 1;
      return cached;
    }
    const pending = inFlight.get(key);
    if (pending) {
      stats.sharedValidations += 1;
      return pending;
    }
    const started = lookup(key, token).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };

  return {
    stats,
    async authenticate(request, requestId) {
      const token = tokenOf(request);
      if (token === undefined) throw unauthorized();
      let entry: CacheEntry;
      try {
        entry = await entryFor(token);
      } catch (error) {
        if (!(error instanceof KeystoneUnavailable)) throw error;
        request.log.error({ keystone: settings.identityUrl }, `token validation failed: ${error.message}`);
        throw unavailable(error.message);
      }
      // A cached token past its expires_at was dropped by the cache; this guards a clock that jumped.
      if (entry.kind === 'invalid' || entry.token.expiresAt <= now()) throw unauthorized();
      return contextFromToken(entry.token, requestId);
    },
    register(app) {
      const header = `Keystone uri="${settings.wwwAuthenticateUri}"`;
      app.addHook('onSend', (_request, reply, payload, done) => {
        if (reply.statusCode === 401) reply.header('www-authenticate', header);
        done(null, payload);
      });
    },
  };
}

/** X-Auth-Token (or the older X-Storage-Token); undefined when absent or not something a token could be. */
function tokenOf(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const raw = request.headers['x-auth-token'] ?? request.headers['x-storage-token'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value || value.length > MAX_TOKEN_LENGTH || !TOKEN_SYNTAX.test(value)) return undefined;
  return value;
}

/** A counting semaphore whose waiters give up after a deadline. */
class Turns {
  private open = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** True once a turn is ours; false when none came within `withinMs`. */
  async take(withinMs: number): Promise<boolean> {
    if (this.open < this.limit) {
      this.open += 1;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(wake);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(false);
      }, withinMs);
      this.waiting.push(wake);
    });
  }

  /** Hands the turn to the first waiter, or frees it. */
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.open -= 1;
  }
}

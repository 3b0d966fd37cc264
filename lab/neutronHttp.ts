/**
 * One Neutron API request as the lab sends it: JSON in and out, the caller
 * named by a Keystone token or, on a noauth server, by X-Project-Id and
 * X-Roles, and every outcome (a connection error or timeout included) turned
 * into a value instead of a throw, so a load under faults can count them.
 */

/** Who is asking: a Keystone token, or a project and roles under noauth. */
export type Caller = { readonly token: string } | { readonly projectId: string; readonly roles: readonly string[] };

export interface NeutronAnswer {
  /** The HTTP status; 0 when no answer came (refused, reset, timed out). */
  readonly status: number;
  readonly body: unknown;
  /** NeutronError.type of an error body. */
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** Why no answer came, when status is 0. */
  readonly connectionError?: string;
}

export function headersFor(caller: Caller): Record<string, string> {
  if ('token' in caller) return { 'x-auth-token': caller.token };
  return { 'x-project-id': caller.projectId, 'x-roles': caller.roles.join(',') };
}

function neutronError(body: unknown): { type?: string; message?: string } {
  if (typeof body !== 'object' || body === null || !('NeutronError' in body)) return {};
  const error: unknown = body.NeutronError;
  if (typeof error !== 'object' || error === null) return {};
  const type = 'type' in error && typeof error.type === 'string' ? error.type : undefined;
  const message = 'message' in error && typeof error.message === 'string' ? error.message : undefined;
  return { ...(type === undefined ? {} : { type }), ...(message === undefined ? {} : { message }) };
}

function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici wraps the socket's error (ECONNREFUSED, ECONNRESET) in its `cause`.
  const cause: unknown = err.cause;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return err.name === 'TimeoutError' ? 'timeout' : err.message;
}

export async function neutronRequest(
  baseUrl: string,
  caller: Caller,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<NeutronAnswer> {
  const headers = headersFor(caller);
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // haproxy's own 502/503 pages are HTML: kept as text.
    }
    const { type, message } = neutronError(parsed);
    return {
      status: response.status,
      body: parsed,
      ...(type === undefined ? {} : { errorType: type }),
      ...(message === undefined ? {} : { errorMessage: message }),
    };
  } catch (err) {
    return { status: 0, body: undefined, connectionError: describeFailure(err) };
  }
}

/** The object under `key` of a JSON body, or an empty one. */
export function member(body: unknown, key: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) return {};
  const value: unknown = (body as Record<string, unknown>)[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A string attribute of an object, or '' when absent. */
export function text(object: Record<string, unknown>, key: string): string {
  const value = object[key];
  return typeof value === 'string' ? value : '';
}

/**
 * Every object of a collection, following `<collection>_links` next pages
 * when the server paginates (pagination_max_limit). Throws when a page does
 * not answer 200 (a check cannot run on a partial list); a collection the
 * server does not serve is empty.
 */
export async function listAll(baseUrl: string, caller: Caller, collection: string, query: string, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const key = collection.replaceAll('-', '_');
  const objects: Record<string, unknown>[] = [];
  let path: string | undefined = `/v2.0/${collection}${query === '' ? '' : `?${query}`}`;
  while (path !== undefined) {
    const answer = await neutronRequest(baseUrl, caller, 'GET', path, undefined, timeoutMs);
    // A collection not served (its service plugin not loaded) has nothing in it.
    if (answer.status === 404 && objects.length === 0) return [];
    if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) {
      throw new Error(`GET ${path}: ${answer.status} ${answer.errorType ?? answer.connectionError ?? ''}`);
    }
    const page = answer.body as Record<string, unknown>;
    const items = page[key];
    if (!Array.isArray(items)) throw new Error(`GET ${path}: no '${key}' list in the answer`);
    objects.push(...(items as Record<string, unknown>[]));
    const links = page[`${key}_links`];
    const next = Array.isArray(links) ? (links as { rel?: unknown; href?: unknown }[]).find((link) => link.rel === 'next') : undefined;
    path = typeof next?.href === 'string' ? new URL(next.href).pathname + new URL(next.href).search : undefined;
  }
  return objects;
}

/**
 * The network topology page at /ui/ (docs/ui.md): one HTML, one CSS, one
 * browser module (src/ui/app.ts, built by `npm run build` into dist/ui/app.js)
 * and cytoscape from node_modules. None of it needs a token and none of it is
 * in /v2.0 or the OpenAPI document: the page calls the API like any client,
 * with the token of whoever logged in.
 *
 *   GET  /ui/                 the page
 *   GET  /ui/style.css, /ui/app.js, /ui/vendor/cytoscape.esm.min.mjs
 *   GET  /ui/config.json      { auth: 'noauth' | 'keystone' }
 *   POST /ui/login            { username, password, project, domain } -> a token
 *
 * /ui/login relays the login to the Keystone the server is configured with
 * (the browser could not read Keystone's X-Subject-Token header across
 * origins) and answers the token and its scope; it keeps nothing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { BadRequest, NeutronError } from '../common/errors.js';
import { describeFetchError, readBody } from '../keystone/identityClient.js';
import { parseToken } from '../keystone/tokenInfo.js';

export type UiAuth = { readonly kind: 'noauth' } | { readonly kind: 'keystone'; /** Ends in /v3. */ readonly identityUrl: string };

export interface UiSettings {
  readonly auth: UiAuth;
  /** Where the files are; default: this checkout or installed package. */
  readonly files?: UiFiles;
  /** Deadline of the Keystone login, ms; default 10 s. */
  readonly loginTimeoutMs?: number;
}

/** The page's files on disk. */
export interface UiFiles {
  readonly html: string;
  readonly css: string;
  /** Built by tsc from src/ui/app.ts. */
  readonly script: string;
  readonly cytoscape: string;
}

/** The package root is two levels above this module, whether it runs from src/api/ (tsx) or dist/api/ (built). */
export function defaultUiFiles(): UiFiles {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // cytoscape's `require` entry is dist/cytoscape.cjs.js; its minified ES module sits next to it.
  const cytoscapeDist = dirname(createRequire(import.meta.url).resolve('cytoscape'));
  return {
    html: join(root, 'src/ui/index.html'),
    css: join(root, 'src/ui/style.css'),
    script: join(root, 'dist/ui/app.js'),
    cytoscape: join(cytoscapeDist, 'cytoscape.esm.min.mjs'),
  };
}

const JS = 'text/javascript; charset=utf-8';

interface StaticFile {
  readonly content: Buffer;
  /** cytoscape's 430 kB travel as about 140 kB. */
  readonly gzipped: Buffer;
  readonly etag: string;
}

async function loadStatic(path: string): Promise<StaticFile> {
  const content = await readFile(path);
  const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 22)}"`;
  return { content, gzipped: await gzipAsync(content, { level: 9 }), etag };
}

/** The login was refused (401) or Keystone could not answer (503); the message is Keystone's own. */
const gzipAsync = promisify(gzip);

class KeystoneLoginFailed extends NeutronError {
  constructor(status: number, message: string) {
    super(status, 'KeystoneLoginFailed', message);
  }
}

export function registerUi(app: FastifyInstance, settings: UiSettings): void {
  const files = settings.files ?? defaultUiFiles();
  // Read once, on first use, with a gzipped copy and an ETag; a file that cannot be read is answered
  // as 404 naming it (dist/ not built yet, ...) and read again next time.
  const cache = new Map<string, Promise<StaticFile>>();
  const serve = async (request: FastifyRequest, reply: FastifyReply, path: string, type: string, hint: string) => {
    let entry = cache.get(path);
    if (entry === undefined) {
      entry = loadStatic(path);
      cache.set(path, entry);
    }
    let file: StaticFile;
    try {
      file = await entry;
    } catch {
      cache.delete(path);
      return reply.code(404).type('text/plain; charset=utf-8').send(`${path} is missing: ${hint}\n`);
    }
    reply.type(type).header('cache-control', 'no-cache').header('etag', file.etag).header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzipped);
    return reply.send(file.content);
  };
  const built = 'run `npm run build`';

  app.get('/ui', async (request, reply) => {
    // ignoreTrailingSlash makes /ui and /ui/ one route: send /ui to /ui/ so that the browser's base is right.
    if (!request.url.split('?', 1)[0]?.endsWith('/')) return reply.redirect('/ui/', 302);
    return serve(request, reply, files.html, 'text/html; charset=utf-8', 'the checkout is incomplete');
  });
  app.get('/ui/style.css', async (request, reply) => serve(request, reply, files.css, 'text/css; charset=utf-8', 'the checkout is incomplete'));
  app.get('/ui/app.js', async (request, reply) => serve(request, reply, files.script, JS, built));
  app.get('/ui/vendor/cytoscape.esm.min.mjs', async (request, reply) => serve(request, reply, files.cytoscape, JS, 'run `npm install`'));
  app.get('/ui/config.json', async () => ({ auth: settings.auth.kind }));

  const auth = settings.auth;
  if (auth.kind === 'keystone') {
    const timeoutMs = settings.loginTimeoutMs ?? 10_000;
    app.post('/ui/login', async (request) => keystoneLogin(auth.identityUrl, loginOf(request.body), timeoutMs));
  }
}

interface LoginForm {
  readonly username: string;
  readonly password: string;
  readonly project: string;
  readonly domain: string;
}

function loginOf(body: unknown): LoginForm {
  const field = (name: keyof LoginForm, fallback?: string): string => {
    const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
    if (typeof value === 'string' && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new BadRequest(`The login needs ${name}.`);
  };
  return { username: field('username'), password: field('password'), project: field('project'), domain: field('domain', 'Default') };
}

/** POST /v3/auth/tokens, password method, project scope by name in the domain; Keystone's own message on failure. */
async function keystoneLogin(identityUrl: string, form: LoginForm, timeoutMs: number) {
  const domain = { name: form.domain };
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: form.username, domain, password: form.password } } },
      scope: { project: { name: form.project, domain } },
    },
  };
  let response: Response;
  try {
    response = await fetch(`${identityUrl.replace(/\/+$/, '')}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    throw new KeystoneLoginFailed(503, `Keystone (${identityUrl}) cannot be reached: ${describeFetchError(error)}`);
  }
  const { json } = await readBody(response);
  const token = response.headers.get('x-subject-token');
  const info = parseToken(json);
  if (response.status !== 201 || !token || !info) {
    const status = response.status === 401 || response.status === 404 || response.status === 400 ? 401 : 503;
    throw new KeystoneLoginFailed(status, `Keystone refused the login: ${keystoneMessage(json) ?? `HTTP ${response.status}`}`);
  }
  const scope = info.scope.kind === 'project' ? { id: info.scope.id, name: info.scope.name ?? form.project } : undefined;
  return { token, expires_at: new Date(info.expiresAt).toISOString(), user: info.userName ?? form.username, project: scope, roles: info.roles };
}

/** `{"error": {"message": ...}}`, as Keystone answers a refusal. */
function keystoneMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as Record<string, unknown>)['error'];
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as Record<string, unknown>)['message'];
  return typeof message === 'string' ? message : undefined;
}

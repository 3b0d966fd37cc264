/**
 * A real Keystone for tests: the one scripts/keystone-setup.sh runs on
 * http://127.0.0.1:5000/v3 (CI runs the script first; `ensureKeystone` runs
 * it when Keystone does not answer or its credentials file is missing),
 * tokens from it, and a counting proxy to put between a server and it.
 *
 *   const keystone = await ensureKeystone();
 *   const demo = await keystone.login('demo');            // { token, projectId, userId }
 *   const api = await startTestApi(url, keystoneOverrides(keystone.authUrl));
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NeutronOverrides } from '../../src/server/config.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const SETUP_SCRIPT = join(REPO, 'scripts/keystone-setup.sh');
const STATE_DIR = process.env['NUCLEON_KEYSTONE_DIR'] ?? '/var/lib/nucleon-keystone';

/** The users the setup script creates. */
export type KeystoneUser = 'admin' | 'neutron' | 'demo' | 'alt_demo' | 'reader';

export interface Login {
  readonly token: string;
  readonly userId: string;
  /** Undefined for tokens that are not project-scoped. */
  readonly projectId: string | undefined;
  readonly roles: readonly string[];
  readonly expiresAt: string;
}

export interface Keystone {
  /** http://127.0.0.1:5000/v3 */
  readonly url: string;
  /** The root, as neutron.conf's auth_url and www_authenticate_uri name it: http://127.0.0.1:5000 */
  readonly authUrl: string;
  readonly region: string;
  /** The setup script's env file, KEY=value. */
  readonly env: Readonly<Record<string, string>>;
  password(user: KeystoneUser): string;
  projectName(user: KeystoneUser): string;
  projectId(user: KeystoneUser): string;
  /** A project-scoped token (the user's project), or `scope` as given ('system', 'unscoped'). */
  login(user: KeystoneUser, scope?: 'project' | 'system' | 'unscoped'): Promise<Login>;
  /** DELETE /v3/auth/tokens: Keystone answers 404 for the token from now on. */
  revoke(token: string): Promise<void>;
  /** A call to the identity API as admin; the body is parsed JSON (undefined when empty). */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

const ENV_PREFIX: Record<KeystoneUser, string> = {
  admin: 'ADMIN',
  neutron: 'NEUTRON',
  demo: 'DEMO',
  alt_demo: 'ALT_DEMO',
  reader: 'READER',
};
const PROJECT_PREFIX: Record<KeystoneUser, string> = {
  admin: 'ADMIN_PROJECT',
  neutron: 'SERVICE_PROJECT',
  demo: 'DEMO_PROJECT',
  alt_demo: 'ALT_DEMO_PROJECT',
  reader: 'READER_PROJECT',
};

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function readEnv(): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(join(STATE_DIR, 'env'), 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
}

/** Runs scripts/keystone-setup.sh, which needs root; rejects with its output when it fails. */
async function runSetupScript(): Promise<void> {
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve(status);
    });
  });
  if (code !== 0) throw new Error(`${SETUP_SCRIPT} failed (exit ${code}):\n${output.join('')}`);
}

let ensured: Promise<Keystone> | undefined;

/** The test Keystone, set up by the script when needed (once per process). */
export function ensureKeystone(): Promise<Keystone> {
  ensured ??= (async () => {
    let env = await readEnv();
    if (!env?.['KEYSTONE_URL'] || !(await answers(env['KEYSTONE_URL']))) {
      await runSetupScript();
      env = await readEnv();
    }
    if (!env?.['KEYSTONE_URL']) throw new Error(`${SETUP_SCRIPT} wrote no KEYSTONE_URL to ${join(STATE_DIR, 'env')}`);
    return keystoneFrom(env);
  })();
  return ensured;
}

function keystoneFrom(env: Record<string, string>): Keystone {
  const need = (key: string): string => {
    const value = env[key];
    if (value === undefined) throw new Error(`${join(STATE_DIR, 'env')} has no ${key}; rerun ${SETUP_SCRIPT}`);
    return value;
  };
  const url = need('KEYSTONE_URL').replace(/\/+$/, '');
  const keystone: Keystone = {
    url,
    authUrl: url.replace(/\/v3$/, ''),
    region: need('REGION_NAME'),
    env,
    password: (user) => need(`${ENV_PREFIX[user]}_PASSWORD`),
    projectName: (user) => need(`${PROJECT_PREFIX[user]}_NAME`),
    projectId: (user) => need(`${PROJECT_PREFIX[user]}_ID`),
    async login(user, scope = 'project') {
      const identity = {
        methods: ['password'],
        password: { user: { name: need(`${ENV_PREFIX[user]}_USERNAME`), domain: { id: 'default' }, password: keystone.password(user) } },
      };
      const scopes = {
        project: { scope: { project: { name: keystone.projectName(user), domain: { id: 'default' } } } },
        system: { scope: { system: { all: true } } },
        unscoped: { scope: 'unscoped' },
      };
      const response = await fetch(`${url}/auth/tokens?nocatalog`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity, ...scopes[scope] } }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      const token = response.headers.get('x-subject-token');
      if (response.status !== 201 || !token) throw new Error(`login as ${user} (${scope}): HTTP ${response.status}: ${text}`);
      const body = JSON.parse(text) as {
        token: { user: { id: string }; project?: { id: string }; roles?: { name: string }[]; expires_at: string };
      };
      return {
        token,
        userId: body.token.user.id,
        projectId: body.token.project?.id,
        roles: (body.token.roles ?? []).map((r) => r.name),
        expiresAt: body.token.expires_at,
      };
    },
    async revoke(token) {
      const response = await fetch(`${url}/auth/tokens`, {
        method: 'DELETE',
        headers: { 'x-auth-token': token, 'x-subject-token': token },
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`revoking a token: HTTP ${response.status}`);
    },
    async admin(method, path, body) {
      adminToken ??= keystone.login('admin').then((login) => login.token);
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { 'x-auth-token': await adminToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
  };
  let adminToken: Promise<string> | undefined;
  return keystone;
}

/** neutron.conf's [DEFAULT] auth_strategy and [keystone_authtoken] as the install guide writes them, for the test server. */
export function keystoneOverrides(keystone: Keystone, authUrl = keystone.authUrl, cacheSeconds?: number): NeutronOverrides {
  return {
    DEFAULT: { auth_strategy: 'keystone' },
    keystone_authtoken: {
      www_authenticate_uri: keystone.authUrl,
      auth_url: authUrl,
      auth_type: 'password',
      project_domain_name: 'Default',
      user_domain_name: 'Default',
      project_name: keystone.projectName('neutron'),
      username: 'neutron',
      password: keystone.password('neutron'),
      ...(cacheSeconds === undefined ? {} : { token_cache_time: cacheSeconds }),
    },
  };
}

/**
 * An HTTP proxy in front of Keystone that counts the token calls passing
 * through it, and can play a broken Keystone: `fail` answers 503 to every
 * request, `hang` accepts requests and never answers.
 */
export interface KeystoneProxy {
  /** The proxy's root, to use as auth_url: http://127.0.0.1:PORT */
  readonly authUrl: string;
  /** GET /v3/auth/tokens calls (validations) passed on. */
  readonly validations: number;
  /** POST /v3/auth/tokens calls (logins) passed on. */
  readonly logins: number;
  /** The X-Auth-Token of the last validation: the server's service token. */
  readonly lastServiceToken: string | undefined;
  mode: 'pass' | 'fail' | 'hang';
  close(): Promise<void>;
}

export async function startKeystoneProxy(target: string): Promise<KeystoneProxy> {
  const upstream = new URL(target);
  const hanging = new Set<ServerResponse>();
  const state = { validations: 0, logins: 0, lastServiceToken: undefined as string | undefined, mode: 'pass' as KeystoneProxy['mode'] };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (state.mode === 'fail') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/v3/auth/tokens' && req.method === 'GET') {
      state.validations += 1;
      const service = req.headers['x-auth-token'];
      state.lastServiceToken = Array.isArray(service) ? service[0] : service;
    }
    if (path === '/v3/auth/tokens' && req.method === 'POST') state.logins += 1;
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    authUrl: `http://127.0.0.1:${port}`,
    get validations() {
      return state.validations;
    },
    get logins() {
      return state.logins;
    },
    get lastServiceToken() {
      return state.lastServiceToken;
    },
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A Nucleon server behind the test Keystone (scripts/keystone-setup.sh, see
 * test/helpers/keystone.ts), found by clients the way a cloud's users find
 * it: through the catalog. The server runs with auth_strategy = keystone on
 * a throwaway SQLite database, and a region of the test's own holds its
 * network endpoints, so the catalog other users of that Keystone see is
 * unchanged.
 *
 *   const cloud = await startKeystoneCloud({ DEFAULT: { service_plugins: ['router'] } });
 *   const result = await run('/usr/bin/neutron', ['net-list'], cloud.env('demo'));   // runCommand.ts
 *   await cloud.close();
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NeutronOverrides } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { ensureKeystone, type Keystone, keystoneOverrides, type KeystoneUser } from '../helpers/keystone.js';
import { startTestApi, type TestApi } from '../helpers/testApi.js';

export interface KeystoneCloud {
  readonly keystone: Keystone;
  readonly api: TestApi;
  /** The region whose network endpoints are this server. */
  readonly region: string;
  /** What sourcing `user`'s openrc gives, in this region, with a HOME of the test's own (no clouds.yaml) and no other OS_ variable. */
  env(user: KeystoneUser): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startKeystoneCloud(overrides: NeutronOverrides = {}): Promise<KeystoneCloud> {
  const keystone = await ensureKeystone();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const database: TestDatabase = await createTestDatabase('sqlite');
    closers.push(() => database.drop());
    const base = keystoneOverrides(keystone);
    const api = await startTestApi(database.url, {
      ...overrides,
      DEFAULT: { ...base.DEFAULT, ...overrides.DEFAULT },
      keystone_authtoken: { ...base.keystone_authtoken, ...overrides.keystone_authtoken },
    });
    closers.push(() => api.close());

    const region = `nucleon-test-${randomBytes(4).toString('hex')}`;
    const services = await keystone.admin('GET', '/services?type=network');
    const serviceId = (services.body as { services: { id: string }[] }).services[0]?.id;
    if (serviceId === undefined) throw new Error('the Keystone setup script made no network service');
    const made = await keystone.admin('POST', '/regions', { region: { id: region } });
    if (made.status !== 201) throw new Error(`creating region ${region}: HTTP ${made.status}`);
    closers.push(() => keystone.admin('DELETE', `/regions/${region}`));
    for (const iface of ['public', 'internal', 'admin']) {
      const created = await keystone.admin('POST', '/endpoints', { endpoint: { service_id: serviceId, interface: iface, region_id: region, url: api.url } });
      if (created.status !== 201) throw new Error(`creating the ${iface} network endpoint: HTTP ${created.status}`);
      const id = (created.body as { endpoint: { id: string } }).endpoint.id;
      closers.push(() => keystone.admin('DELETE', `/endpoints/${id}`));
    }
    const home = await mkdtemp(join(tmpdir(), 'nucleon-keystone-cloud-'));
    closers.push(() => rm(home, { recursive: true, force: true }));

    return {
      keystone,
      api,
      region,
      env(user) {
        const env: NodeJS.ProcessEnv = {};
        for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OS_')) env[key] = value;
        return Object.assign(env, {
          HOME: home,
          OS_AUTH_URL: keystone.url,
          OS_IDENTITY_API_VERSION: '3',
          OS_USERNAME: user,
          OS_PASSWORD: keystone.password(user),
          OS_PROJECT_NAME: keystone.projectName(user),
          OS_USER_DOMAIN_NAME: 'Default',
          OS_PROJECT_DOMAIN_NAME: 'Default',
          OS_REGION_NAME: region,
          OS_INTERFACE: 'public',
        });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

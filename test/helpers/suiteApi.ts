/**
 * The server most HTTP test suites share: a real API server over a fresh
 * database of one dialect, started before the suite's tests and dropped
 * after them. Call it inside `describe`; the returned API forwards to the
 * server once it is up.
 */
import { after, before } from 'node:test';

import { createTestDatabase, type TestDatabase, type TestDialect } from '../db/databases.js';
import type { NeutronOverrides } from '../../src/server/config.js';
import { type TestApi, startTestApi } from './testApi.js';

export function suiteApi(dialect: TestDialect, overrides: NeutronOverrides = {}): TestApi {
  let database: TestDatabase | undefined;
  let api: TestApi | undefined;
  before(async () => {
    database = await createTestDatabase(dialect);
    api = await startTestApi(database.url, overrides);
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });
  const started = (): TestApi => {
    if (api === undefined) throw new Error('the suite server is not started yet');
    return api;
  };
  return {
    get url() {
      return started().url;
    },
    request: (method, path, body, headers) => started().request(method, path, body, headers),
    // The suite's `after` closes it.
    close: async () => {},
  };
}

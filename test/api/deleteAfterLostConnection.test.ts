/**
 * A delete whose connection was lost on the way (as when a Galera node dies
 * under a COMMIT) runs again; if the rerun finds the object gone, the first
 * run may have committed with only its answer lost, so the delete is done:
 * 204, not the resource's 404. A delete that lost nothing still gets its 404.
 * The HA lab found this (lab/faults.ts galera-kill: a DELETE answered 404
 * SecurityGroupNotFound for a group it had deleted itself).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import Fastify from 'fastify';

import { NeutronError } from '../../src/common/errors.js';
import { runWithRequestNote, withDbRetries, type DbRetryPolicy } from '../../src/db/retry.js';
import { sendError } from '../../src/api/errorResponse.js';

const FAST: DbRetryPolicy = { maxRetries: 5, retryIntervalMs: 1, incRetryInterval: false, maxRetryIntervalMs: 100 };
const lost = () => Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' });
const gone = () => new NeutronError(404, 'SecurityGroupNotFound', 'Security group 42 does not exist');

async function app(firstRun: 'lost' | 'gone') {
  const server = Fastify({ logger: false });
  server.addHook('onRequest', (_request, _reply, done) => runWithRequestNote(done));
  server.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  let runs = 0;
  const work = () =>
    withDbRetries(async () => {
      runs += 1;
      if (runs === 1 && firstRun === 'lost') throw lost();
      throw gone();
    }, FAST);
  server.delete('/v2.0/security-groups/42', work);
  server.put('/v2.0/security-groups/42', work);
  await server.ready();
  return server;
}

describe('a delete run again after a lost connection', () => {
  it('is 204 when the rerun finds the object gone', async () => {
    const server = await app('lost');
    const answer = await server.inject({ method: 'DELETE', url: '/v2.0/security-groups/42' });
    assert.equal(answer.statusCode, 204);
    assert.equal(answer.body, '');
  });

  it('is still the 404 when no connection was lost', async () => {
    const server = await app('gone');
    const answer = await server.inject({ method: 'DELETE', url: '/v2.0/security-groups/42' });
    assert.equal(answer.statusCode, 404);
    assert.equal(JSON.parse(answer.body).NeutronError.type, 'SecurityGroupNotFound');
  });

  it('leaves other methods their 404', async () => {
    const server = await app('lost');
    const answer = await server.inject({ method: 'PUT', url: '/v2.0/security-groups/42', payload: {} });
    assert.equal(answer.statusCode, 404);
  });

  it('does not carry the note over to the next request', async () => {
    const server = await app('lost');
    assert.equal((await server.inject({ method: 'DELETE', url: '/v2.0/security-groups/42' })).statusCode, 204);
    assert.equal((await server.inject({ method: 'DELETE', url: '/v2.0/security-groups/42' })).statusCode, 404);
  });
});

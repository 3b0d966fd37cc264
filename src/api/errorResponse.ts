/**
 * The one place where failures become HTTP responses: every error leaves as
 * `{"NeutronError": {"type", "message", "detail"}}` with Neutron's status.
 * A database that cannot be reached is a 503 ServiceUnavailable saying so;
 * a delete that lost its connection and then found nothing is done (204).
 * Anything else that is not a NeutronError is a bug: it is logged with its
 * stack and the client gets a 500 that reveals nothing.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import { BadRequest, InternalServerError, NeutronError } from '../common/errors.js';
import { connectionErrorReason, connectionWasLost, isConnectionError } from '../db/retry.js';
import { requestTooLarge } from './httpEdge.js';

export function neutronErrorBody(error: NeutronError): { NeutronError: { type: string; message: string; detail: string } } {
  return { NeutronError: { type: error.type, message: error.message, detail: error.detail } };
}

/** Maps errors raised by fastify itself (body too large, bad content type) onto Neutron's. */
function fromFastify(error: FastifyError, request: FastifyRequest): NeutronError | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return requestTooLarge(request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 0);
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new NeutronError(error.statusCode, error.statusCode === 400 ? 'HTTPBadRequest' : 'HTTPClientError', error.message);
  }
  return undefined;
}

/** The database cannot be reached (after the retries of db/retry.ts): a 503 that says so, never a 500. */
export function databaseUnavailable(error: unknown): NeutronError {
  return new NeutronError(503, 'ServiceUnavailable', `The database is unavailable (${connectionErrorReason(error)}); try again later.`);
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let neutron: NeutronError;
  if (error instanceof NeutronError) neutron = error;
  else if (error instanceof SyntaxError) neutron = new BadRequest('Malformed request body');
  else if (isConnectionError(error)) {
    neutron = databaseUnavailable(error);
    request.log.error({ err: error }, 'request failed: the database is unavailable');
  } else {
    neutron = fromFastify(error as FastifyError, request) ?? new InternalServerError();
    if (neutron.status >= 500) request.log.error({ err: error }, 'request failed');
  }
  if (neutron.status === 404 && request.method === 'DELETE' && connectionWasLost()) {
    // The first run's COMMIT may have gone through with only its answer lost: the object is gone, as asked.
    request.log.warn({ err: neutron.message }, 'delete run again after a lost connection found nothing left: taken as done');
    return reply.code(204).send();
  }
  return reply.code(neutron.status).send(neutronErrorBody(neutron));
}

/**
 * The quota errors of neutron-lib (exceptions/__init__.py) and of
 * neutron/extensions/quotasv2*.py, with upstream's types, statuses and
 * messages.
 */
import { NeutronError } from '../../common/errors.js';

/** Python's repr of a list of names: `['network', 'port']`. */
const pyList = (names: readonly string[]): string => `[${names.map((n) => `'${n}'`).join(', ')}]`;

/** 409: a create would take the project beyond its limit. The resources are listed sorted, as upstream does. */
export class OverQuota extends NeutronError {
  constructor(readonly resources: readonly string[]) {
    super(409, 'OverQuota', `Quota exceeded for resources: ${pyList([...resources].sort())}.`);
  }
}

/** 404: DELETE of a project that has no limits of its own (TenantQuotaNotFound). */
export class TenantQuotaNotFound extends NeutronError {
  constructor(projectId: string) {
    super(404, 'TenantQuotaNotFound', `Quota for project ${projectId} could not be found.`);
  }
}

/** 400: `GET /v2.0/quotas/project` by a caller without a project (QuotaMissingTenant). */
export class QuotaMissingTenant extends NeutronError {
  constructor() {
    super(400, 'QuotaMissingTenant', 'Tenant-id was missing from quota request.');
  }
}

/** 403: a non-admin asking for another project's quota details (AdminRequired). */
export class AdminRequired extends NeutronError {
  constructor(reason: string) {
    super(403, 'AdminRequired', `User does not have admin privileges: ${reason}.`);
  }
}

/** 400: a limit below what the project already uses, without `"force": true` (webob HTTPBadRequest). */
export class QuotaLimitBelowUsage extends NeutronError {
  constructor(resource: string, limit: number, used: number) {
    super(400, 'HTTPBadRequest', `Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`);
  }
}

/** 501: `POST /v2.0/quotas` (webob HTTPNotImplemented raised by the controller). */
export class QuotaCreateNotSupported extends NeutronError {
  constructor() {
    super(501, 'HTTPNotImplemented', 'POST requests are not supported on this resource.');
  }
}

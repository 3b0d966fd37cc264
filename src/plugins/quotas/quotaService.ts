/**
 * Reading and setting quotas (neutron/db/quota/driver.py, the parts the API
 * uses): defaults from [quotas], a project's own limits over them, usage
 * counted from the resources themselves (nothing is reserved: a create
 * counts inside its own transaction, see enforcement.ts).
 */
import type { Db, Tx } from '../../db/schema.js';
import type { ComposedApi } from '../../resources/compose.js';
import { QUOTA_RESOURCES, type QuotaResource } from '../../resources/extensions/quotas.js';
import { QuotaEnforcer } from './enforcement.js';
import { QuotaLimitBelowUsage, TenantQuotaNotFound } from './errors.js';
import { allOverrides, type CountedIn, countedIn, countUsed, deleteOverrides, lockQuota, overridesOf, type QuotaLimits, storeLimit } from './storage.js';

export interface QuotaDeps {
  readonly db: Db;
  /** Runs `work` in one transaction, re-running it on deadlocks and lost races (CoreDeps.transaction). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** The composed declarations: which resources count, in which tables. */
  readonly api: ComposedApi;
  /** From [quotas]: quota_<resource>, else default_quota. */
  readonly defaults: QuotaLimits;
}

export interface QuotaUsage {
  readonly limit: number;
  readonly used: number;
  readonly reserved: number;
}

/** A project's row in GET /v2.0/quotas: every limit, and whose they are. */
export type ProjectQuotas = Record<QuotaResource, number> & { readonly project_id: string; readonly tenant_id: string };

export class QuotaService {
  readonly enforcer: QuotaEnforcer;

  private readonly tables: CountedIn;

  constructor(private readonly deps: QuotaDeps) {
    this.tables = countedIn(deps.api.resources.values());
    this.enforcer = new QuotaEnforcer(deps.defaults, this.tables);
  }

  /** The configured defaults (GET /v2.0/quotas/{project_id}/default). */
  defaults(): QuotaLimits {
    return { ...this.deps.defaults };
  }

  /** The limits that apply to the project: its own where set, else the defaults. */
  async limitsOf(projectId: string, db: Db = this.deps.db): Promise<QuotaLimits> {
    const own = await overridesOf(db, projectId);
    return withDefaults(this.deps.defaults, own);
  }

  /** Every project with limits of its own, each with all its limits (GET /v2.0/quotas). */
  async projectsWithOverrides(): Promise<ProjectQuotas[]> {
    const projects = await allOverrides(this.deps.db);
    return [...projects].map(([projectId, own]) => ({
      ...withDefaults(this.deps.defaults, own),
      project_id: projectId,
      tenant_id: projectId,
    }));
  }

  /** Limit, use and reservations of each resource (GET /v2.0/quotas/{project_id}/details). */
  async details(projectId: string): Promise<Record<QuotaResource, QuotaUsage>> {
    const limits = await this.limitsOf(projectId);
    const used = await Promise.all(QUOTA_RESOURCES.map((resource) => countUsed(this.deps.db, this.tables, projectId, resource)));
    return Object.fromEntries(
      QUOTA_RESOURCES.map((resource, i) => [resource, { limit: limits[resource], used: used[i] ?? 0, reserved: 0 }]),
    ) as Record<QuotaResource, QuotaUsage>;
  }

  /**
   * Sets some of the project's limits; returns all of them. Unless `force`,
   * a limit (other than unlimited) below what the project uses now is
   * refused, and nothing changes. The usage is counted under the same lock
   * creates take, so a create cannot slip in between the check and the write.
   */
  async update(projectId: string, changes: ReadonlyMap<QuotaResource, number>, force: boolean): Promise<QuotaLimits> {
    return this.deps.transaction(async (tx) => {
      if (!force) {
        for (const [resource, limit] of changes) {
          if (limit === -1) continue;
          await lockQuota(tx, projectId, resource);
          const used = await countUsed(tx, this.tables, projectId, resource);
          if (used > limit) throw new QuotaLimitBelowUsage(resource, limit, used);
        }
      }
      for (const [resource, limit] of changes) await storeLimit(tx, projectId, resource, limit);
      return this.limitsOf(projectId, tx);
    });
  }

  /** Back to the defaults; TenantQuotaNotFound when the project had no limits of its own. */
  async reset(projectId: string): Promise<void> {
    const deleted = await this.deps.transaction((tx) => deleteOverrides(tx, projectId));
    if (deleted === 0) throw new TenantQuotaNotFound(projectId);
  }
}

function withDefaults(defaults: QuotaLimits, own: ReadonlyMap<QuotaResource, number>): Record<QuotaResource, number> {
  return Object.fromEntries(QUOTA_RESOURCES.map((resource) => [resource, own.get(resource) ?? defaults[resource]])) as Record<
    QuotaResource,
    number
  >;
}

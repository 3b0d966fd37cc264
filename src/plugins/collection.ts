/**
 * What api/ needs from the plugin behind a collection. Objects are returned
 * whole (every attribute); api/ applies `fields=` and hides what the caller
 * may not see.
 */
import type { RequestContext } from '../common/context.js';
import type { FilterCondition, RowQuery } from './core/listRows.js';

export type ApiObject = Record<string, unknown>;

/** Whether any of `keys` differs between two states of an object (as JSON: lists and objects by value). */
export const attributesChanged = (original: ApiObject, current: ApiObject, keys: readonly string[]): boolean =>
  keys.some((key) => JSON.stringify(original[key]) !== JSON.stringify(current[key]));

/** A list query as api/ parsed it. */
export type ListRequest = RowQuery;

export interface Collection {
  list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]>;
  /**
   * Its list pages in the database (listRows: `limit` rows after the `marker`'s sort values), so api/ reads
   * a list without a limit in batches instead of all at once (api/listBatches.ts).
   */
  readonly keysetPaging?: true;
  show(ctx: RequestContext, id: string): Promise<ApiObject>;
  /** One or many (bulk): all are created or none. Absent for collections nobody creates over the API (agents). */
  create?(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]>;
  update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject>;
  delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void>;
  /** The conditions of its `filter: 'plugin'` attributes, by attribute (checked against the declaration at startup). */
  readonly pluginFilters?: ReadonlyMap<string, FilterCondition>;
  /** The declaration's member actions (`add_router_interface`): the checked body in, the response body out. */
  readonly actions?: Readonly<Record<string, MemberAction>>;
}

/** The response body: an object, or a bare list where Neutron answers one (onboard_network_subnets). */
export type MemberAction = (ctx: RequestContext, id: string, body: ApiObject) => Promise<ApiObject | readonly ApiObject[]>;

/** The plugin behind a collection nested under another's members (`/v2.0/qos/policies/{id}/bandwidth_limit_rules`): one collection per parent. */
export interface NestedCollection {
  within(parentId: string): Collection;
}

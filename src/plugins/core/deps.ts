import type { Db, Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { FilterCondition } from './listRows.js';
import type { EventBus } from '../../events/bus.js';
import type { CoreEvents } from './events.js';
import type { CoreOptions } from './options.js';
import type { ComposedApi } from '../../resources/compose.js';

/**
 * Adds attributes that another plugin stores (ML2's provider attributes, a
 * port's security groups) to objects of one resource, for many at once:
 * returns the extra attributes by object id.
 */
export type Extender = (db: Db, objects: readonly ApiObject[]) => Promise<ReadonlyMap<string, ApiObject>>;

/** What plugins register per resource (keyed by member name) while the server is composed. */
export class ByResource<T> {
  private readonly byMember = new Map<string, T>();
  constructor(private readonly fresh: () => T) {}

  of(member: string): T {
    let value = this.byMember.get(member);
    if (value === undefined) this.byMember.set(member, (value = this.fresh()));
    return value;
  }
}

/** List filters on attributes a plugin serves (`filter: 'plugin'`), by resource and attribute. */
export type PluginFilters = ByResource<Map<string, FilterCondition>>;

/** Where a port is bound and how: what the hypervisor needs to plug it (binding:vif_type, binding:vif_details). */
export interface PortBinding {
  readonly vifType: string;
  readonly vifDetails: Readonly<Record<string, unknown>>;
}

export interface BindingRequest {
  readonly portId: string;
  readonly networkId: string;
  readonly hostId: string;
  readonly vnicType: string;
}

/**
 * Binds a port to a host (ML2's mechanism drivers). Runs inside the port's
 * transaction whenever binding:host_id is set or changes; without a binder
 * ports stay `unbound`.
 */
export type PortBinder = (tx: Tx, request: BindingRequest) => Promise<PortBinding>;

/** What the core services are built from; server/ assembles it. */
export interface CoreDeps {
  readonly db: Db;
  readonly options: CoreOptions;
  readonly events: EventBus<CoreEvents>;
  /** The composed declarations (every loaded extension's attributes included), by collection. */
  readonly api: ComposedApi;
  /** Filled by plugins at composition time, in order; later ones win on a clash. */
  readonly extenders: ByResource<Extender[]>;
  readonly filters: PluginFilters;
  /** Set by ML2 at composition time. */
  readonly binding: { bind?: PortBinder };
  /** Runs `work` in one transaction, re-running it whole on deadlocks and on races for generated values. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Uniform in [0, 1); injectable so tests can make MACs and addresses predictable. */
  random(): number;
}

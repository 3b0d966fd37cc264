import type { Db, Tx } from '../../db/schema.js';
import type { EventBus } from '../../events/bus.js';
import type { CoreEvents } from './events.js';
import type { CoreOptions } from './options.js';

/** What the core services are built from; server/ assembles it. */
export interface CoreDeps {
  readonly db: Db;
  readonly options: CoreOptions;
  readonly events: EventBus<CoreEvents>;
  /** Runs `work` in one transaction, re-running it whole on deadlocks and on races for generated values. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Uniform in [0, 1); injectable so tests can make MACs and addresses predictable. */
  random(): number;
}

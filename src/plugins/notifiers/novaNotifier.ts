/**
 * Tells Nova what happens to its instances' ports (Neutron's
 * neutron/notifiers/nova.py), so that Nova can finish booting an instance
 * once its port is wired and refresh its view of the instance's network:
 *
 *   status DOWN/BUILD/(new) -> ACTIVE   network-vif-plugged   status completed
 *   status DOWN/BUILD/(new) -> ERROR    network-vif-plugged   status failed
 *   status ACTIVE -> DOWN               network-vif-unplugged status completed
 *   any other update of the port        network-changed       (no status)
 *   port deleted                        network-vif-deleted   (no status)
 *
 * every event with server_uuid = device_id and tag = the port's id, for
 * ports whose device_owner starts with `compute:` and whose device_id looks
 * like a UUID. Status events need notify_nova_on_port_status_changes, the
 * others notify_nova_on_port_data_changes. As in Neutron, network-changed
 * follows every update of such a port other than a status report (a PUT of
 * its name too), since Nova refreshes its cache from it.
 *
 * The events subscribe to the core plugin's after_* events: they run after
 * commit, only queue the event, and never throw. Batches go out through a
 * BatchNotifier (one POST per send_events_interval at most); a POST that
 * cannot be made (Keystone or Nova unreachable, 5xx) is retried http_retries
 * times with a doubling delay, then the batch is dropped with a warning.
 */
import type { EventBus } from '../../events/bus.js';
import type { ApiObject } from '../collection.js';
import type { CoreEvents } from '../core/events.js';
import { onlyStatusChanged } from '../ml2/rpc/portStatus.js';
import { BatchNotifier } from './batchNotifier.js';
import { type CreateEventsResult, type NovaEvent, NovaUnavailable } from './novaClient.js';

export const VIF_PLUGGED = 'network-vif-plugged';
export const VIF_UNPLUGGED = 'network-vif-unplugged';
export const VIF_DELETED = 'network-vif-deleted';
export const NETWORK_CHANGED = 'network-changed';

const COMPUTE_PREFIX = 'compute:';
/** Neutron's NEUTRON_NOVA_EVENT_STATUS_MAP. */
const EVENT_STATUS: Readonly<Record<string, 'completed' | 'failed'>> = { ACTIVE: 'completed', ERROR: 'failed', DOWN: 'completed' };
/** The delay before the first retry; each further one doubles it, up to MAX_BACKOFF_MS. */
const DEFAULT_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;

export interface NotifierLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The part of NovaClient the notifier uses. */
export interface NovaEventSender {
  createEvents(events: readonly NovaEvent[], signal?: AbortSignal): Promise<CreateEventsResult>;
}

export interface NovaNotifierOptions {
  readonly client: NovaEventSender;
  /** [DEFAULT] send_events_interval, in milliseconds. */
  readonly intervalMs: number;
  /** [DEFAULT] http_retries: attempts after the first. */
  readonly retries: number;
  /** Delay before the first retry (doubling after); default 500 ms. */
  readonly backoffMs?: number;
  /** notify_nova_on_port_status_changes */
  readonly statusChanges: boolean;
  /** notify_nova_on_port_data_changes */
  readonly dataChanges: boolean;
  readonly log: NotifierLogger;
}

/** oslo's uuidutils.is_uuid_like: 32 hex digits once dashes, surrounding braces and `urn:` / `uuid:` are taken out, any case. */
export function isUuidLike(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const bare = value.replaceAll('urn:', '').replaceAll('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replaceAll('-', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(bare);
}

/** A port of a Nova instance: device_owner compute:*, device_id a UUID. */
export function isComputePort(port: ApiObject): boolean {
  return typeof port.device_owner === 'string' && port.device_owner.startsWith(COMPUTE_PREFIX) && isUuidLike(port.device_id);
}

/** The event for a status change of `port` (previous undefined: a new port), or undefined when Nova does not care. */
export function statusChangeEvent(port: ApiObject, previous: string | undefined, current: string): NovaEvent | undefined {
  if (typeof port.id !== 'string' || port.id === '' || !isComputePort(port)) return undefined;
  let name: NovaEvent['name'];
  if (previous === 'ACTIVE' && current === 'DOWN') name = VIF_UNPLUGGED;
  else if ((previous === undefined || previous === 'DOWN' || previous === 'BUILD') && (current === 'ACTIVE' || current === 'ERROR')) name = VIF_PLUGGED;
  else return undefined;
  const status = EVENT_STATUS[current];
  return { server_uuid: String(port.device_id), name, ...(status ? { status } : {}), tag: port.id };
}

/** The event for an update or delete of `port` through the API, or undefined for ports that are not an instance's. */
export function portChangedEvent(action: 'update_port' | 'delete_port', port: ApiObject): NovaEvent | undefined {
  if (!isComputePort(port)) return undefined;
  const server_uuid = String(port.device_id);
  const tag = String(port.id);
  return action === 'delete_port' ? { server_uuid, name: VIF_DELETED, tag } : { name: NETWORK_CHANGED, server_uuid, tag };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class NovaNotifier {
  private readonly batches: BatchNotifier<NovaEvent>;
  private readonly closing = new AbortController();
  /** Batches given up on (for tests and logs). */
  dropped = 0;

  constructor(private readonly options: NovaNotifierOptions) {
    this.batches = new BatchNotifier(options.intervalMs, (batch) => this.sendEvents(batch), options.log);
  }

  /** Subscribes to the core plugin's port events (after commit). */
  install(events: EventBus<CoreEvents>): void {
    const { statusChanges, dataChanges } = this.options;
    if (statusChanges) {
      events.on('port.after_create', ({ current }) => this.guard(() => this.queue(statusChangeEvent(current, undefined, current.status))));
    }
    events.on('port.after_update', ({ original, current }) =>
      this.guard(() => {
        const statusChanged = original !== undefined && original.status !== current.status;
        if (statusChanges && statusChanged) this.queue(statusChangeEvent(current, original.status, current.status));
        // Everything but an agent's status report is an update through the API, as Neutron's BEFORE_RESPONSE.
        if (dataChanges && !(statusChanged && onlyStatusChanged(original, current))) this.queue(portChangedEvent('update_port', current));
      }),
    );
    if (dataChanges) events.on('port.after_delete', ({ current }) => this.guard(() => this.queue(portChangedEvent('delete_port', current))));
  }

  /** Queues an event for the next batch. */
  queue(event: NovaEvent | undefined): void {
    if (event === undefined) return;
    this.options.log.debug({ event }, 'Nova event queued');
    this.batches.queue(event);
  }

  /** Stops: a POST under way or waiting to be retried is abandoned, queued events are dropped. */
  async close(): Promise<void> {
    this.closing.abort();
    const dropped = await this.batches.close();
    if (dropped > 0) this.options.log.info({ events: dropped }, 'Nova events not sent: the server is stopping');
  }

  /** One batch: posted, retried while Nova or Keystone cannot answer, then given up on. */
  async sendEvents(batch: NovaEvent[]): Promise<void> {
    const { client, retries, log } = this.options;
    const signal = this.closing.signal;
    let delay = this.options.backoffMs ?? DEFAULT_BACKOFF_MS;
    log.debug({ events: batch }, 'Sending events to Nova');
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      let result: CreateEventsResult;
      try {
        result = await client.createEvents(batch, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof NovaUnavailable)) {
          log.error({ err, events: batch }, 'Failed to notify Nova on events');
          return;
        }
        if (attempt >= retries) {
          this.dropped += 1;
          log.warn({ events: batch, attempts: attempt + 1, reason: err.message }, 'Nova events dropped: Nova could not be notified');
          return;
        }
        log.warn({ reason: err.message, attempt: attempt + 1, retryInMs: delay }, 'Notifying Nova failed; retrying');
        await sleep(delay, signal);
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
        continue;
      }
      this.report(batch, result);
      return;
    }
  }

  /** Logs Nova's answer as Neutron does. */
  private report(batch: readonly NovaEvent[], result: CreateEventsResult): void {
    const { log } = this.options;
    switch (result.kind) {
      case 'not-found':
        log.debug({ events: batch }, 'Nova returned NotFound for events');
        return;
      case 'rejected':
        log.error({ events: batch, status: result.status, detail: result.detail }, 'Failed to notify Nova on events');
        return;
      case 'accepted': {
        if (!Array.isArray(result.events)) {
          log.error({ response: result.events }, 'Error response returned from Nova');
          return;
        }
        let malformed = false;
        for (const event of result.events as unknown[]) {
          const code = typeof event === 'object' && event !== null && 'code' in event ? event.code : undefined;
          if (code === undefined) malformed = true;
          else if (code !== 200) log.warn({ event }, 'Nova event returned with failed status');
          else log.info({ event }, 'Nova event response');
        }
        if (malformed) log.error({ response: result.events }, 'Error response returned from Nova');
        return;
      }
      default: {
        const never: never = result;
        throw new Error(`unknown result ${JSON.stringify(never)}`);
      }
    }
  }

  /** A subscriber never fails the request that triggered it. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.options.log.error({ err }, 'queueing a Nova event failed');
    }
  }
}

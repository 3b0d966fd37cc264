/**
 * In-process publish/subscribe for resource events, after neutron-lib's
 * callbacks: the phase decides what a failing subscriber does.
 *   before     throw = the request is refused
 *   precommit  runs inside the transaction; throw = rollback
 *   after      runs after commit; a throw is logged, never reaches the client
 * Subscribers run in the order they subscribed; server/ wires them explicitly.
 */
export type Phase = 'before' | 'precommit' | 'after';

type Handler<P> = (payload: P) => void | Promise<void>;

export interface Logger {
  error(obj: object, msg: string): void;
}

export class EventBus<Events extends { [topic: string]: unknown }> {
  private readonly handlers = new Map<keyof Events, Handler<never>[]>();

  constructor(private readonly log: Logger) {}

  on<T extends keyof Events>(topic: T, handler: Handler<Events[T]>): () => void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler as Handler<never>);
    this.handlers.set(topic, list);
    return () => {
      const index = list.indexOf(handler as Handler<never>);
      if (index >= 0) list.splice(index, 1);
    };
  }

  hasSubscribers(topic: keyof Events): boolean {
    return (this.handlers.get(topic)?.length ?? 0) > 0;
  }

  /** Runs every subscriber in order; the first failure propagates (before / precommit phases). */
  async publish<T extends keyof Events>(topic: T, payload: Events[T]): Promise<void> {
    for (const handler of this.handlers.get(topic) ?? []) await (handler as Handler<Events[T]>)(payload);
  }

  /** Runs every subscriber; failures are logged and do not stop the others (after phase). */
  async notify<T extends keyof Events>(topic: T, payload: Events[T]): Promise<void> {
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        await (handler as Handler<Events[T]>)(payload);
      } catch (err) {
        this.log.error({ err, topic: String(topic) }, 'event subscriber failed');
      }
    }
  }
}

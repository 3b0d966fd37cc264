/**
 * The body of a list response, `{"<collection>": [...], "<collection>_links": [...]}`,
 * as JSON text written batch by batch as the socket drains (api/listBatches.ts
 * reads the batches). Only the batch being written is held, as objects and
 * as text.
 */
import { Readable } from 'node:stream';

import type { RequestContext } from '../common/context.js';
import type { ApiObject } from '../plugins/collection.js';
import { objectKey } from '../resources/policyRules.js';
import type { ResourceDecl } from '../resources/types.js';
import type { ListQuery } from './listQuery.js';
import type { RequestPolicy } from './policy/requestPolicy.js';
import { type Presenter, presenter } from './present.js';

/**
 * Objects serialised per chunk of text: a list read in one call never exists
 * as one string, and a chunk (about 90 KB of ports) stays below V8's large
 * object size (128 KB), whose objects are only freed by a full collection.
 */
const TEXT_CHUNK = 100;

/**
 * Turns batches of a list into JSON text for one caller: what its policy
 * lets it see, shaped by `fields=` and without the attributes its policy
 * hides (judged on the first object it sees, for the whole list, as one
 * call did).
 */
export class ListSerialiser {
  private present: Presenter | undefined;
  /** The keys of the objects written, in order: kept for a paginated request's links only. */
  readonly keys: string[] = [];

  constructor(
    private readonly resource: ResourceDecl,
    private readonly ctx: RequestContext,
    private readonly query: ListQuery,
    private readonly policy: RequestPolicy,
  ) {}

  async text(batch: readonly ApiObject[]): Promise<string[]> {
    const visible = await this.policy.visible(this.resource, batch);
    if (visible.length === 0) return [];
    this.present ??= presenter(this.resource, this.ctx, this.query.fields, await this.policy.hiddenAttributes(this.resource, visible[0]));
    const present = this.present;
    if (this.query.limit !== undefined) this.keys.push(...visible.map((object) => objectKey(this.resource, object)));
    const texts: string[] = [];
    for (let i = 0; i < visible.length; i += TEXT_CHUNK) {
      texts.push(visible.slice(i, i + TEXT_CHUNK).map((object) => JSON.stringify(present(object))).join(','));
    }
    return texts;
  }
}

/**
 * The body: `first` (the text of the first batch, made before the status
 * was sent, so that its errors were still NeutronErrors), then the text of
 * each later batch. A failure there can no longer become a status: `onLateError`
 * is told, the stream fails and Fastify ends the connection, so the client
 * sees a truncated body rather than a shorter list.
 */
export function listBody(
  name: string,
  first: readonly string[],
  rest: AsyncIterable<readonly string[]>,
  links: () => unknown,
  onLateError: (err: unknown) => void,
): Readable {
  async function* chunks(): AsyncGenerator<string> {
    let separator = '';
    yield `{${JSON.stringify(name)}:[`;
    for (const text of first) {
      yield separator + text;
      separator = ',';
    }
    try {
      for await (const texts of rest) {
        for (const text of texts) {
          yield separator + text;
          separator = ',';
        }
      }
    } catch (err) {
      onLateError(err);
      throw err;
    }
    const pageLinks = links();
    yield pageLinks === undefined ? ']}' : `],${JSON.stringify(`${name}_links`)}:${JSON.stringify(pageLinks)}}`;
  }
  return Readable.from(chunks(), { objectMode: false });
}

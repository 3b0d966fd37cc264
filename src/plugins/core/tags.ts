/** The tags sub-resource (standard-attr-tag) for every taggable collection. A change bumps the revision in the collection's declared table. */
import type { Kysely } from 'kysely';

import { InvalidTag, TagNotFound } from '../../common/errors.js';
import type { Db, Tx } from '../../db/schema.js';
import type { CoreDeps } from './deps.js';
import { nextRevision } from './revision.js';

export const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 255;


export class TagService {
  constructor(private readonly deps: CoreDeps) {}

  async list(resourceId: string, db: Db = this.deps.db): Promise<string[]> {
    const rows = await db.selectFrom('tags').select('tag').where('resource_id', '=', resourceId).orderBy('tag').execute();
    return rows.map((r) => r.tag);
  }

  async check(collection: string, resourceId: string, tag: string): Promise<void> {
    const row = await this.deps.db
      .selectFrom('tags')
      .select('tag')
      .where('resource_id', '=', resourceId)
      .where('tag', '=', tag)
      .executeTakeFirst();
    if (!row) throw new TagNotFound(collection, resourceId, tag);
  }

  replace(collection: string, resourceId: string, tags: readonly unknown[]): Promise<string[]> {
    return this.change(collection, resourceId, async (tx) => {
      await tx.deleteFrom('tags').where('resource_id', '=', resourceId).execute();
      return validTags(tags);
    });
  }

  add(collection: string, resourceId: string, tags: readonly unknown[]): Promise<string[]> {
    return this.change(collection, resourceId, async (tx) => {
      const existing = new Set(await this.list(resourceId, tx));
      const added = validTags(tags).filter((t) => !existing.has(t));
      if (existing.size + added.length > MAX_TAGS) throw tooMany();
      return added;
    });
  }

  async remove(collection: string, resourceId: string, tag: string): Promise<void> {
    await this.change(collection, resourceId, async (tx) => {
      const result = await tx.deleteFrom('tags').where('resource_id', '=', resourceId).where('tag', '=', tag).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new TagNotFound(collection, resourceId, tag);
      return [];
    });
  }

  async clear(collection: string, resourceId: string): Promise<void> {
    await this.change(collection, resourceId, async (tx) => {
      await tx.deleteFrom('tags').where('resource_id', '=', resourceId).execute();
      return [];
    });
  }

  /** Runs a tag change; `work` returns the tags to insert. Returns the resulting tags. */
  private change(collection: string, resourceId: string, work: (tx: Tx) => Promise<string[]>): Promise<string[]> {
    return this.deps.transaction(async (tx) => {
      const insert = await work(tx);
      if (insert.length > 0) {
        await tx.insertInto('tags').values(insert.map((tag) => ({ resource_id: resourceId, tag }))).execute();
      }
      const tableName = this.deps.api.resource(collection).table;
      if (tableName === undefined) throw new Error(`${collection} has tags but no table`);
      await (tx as unknown as Kysely<Record<string, { id: string; revision_number: number; updated_at: string }>>)
        .updateTable(tableName)
        .set(nextRevision())
        .where('id', '=', resourceId)
        .execute();
      return this.list(resourceId, tx);
    });
  }
}

const tooMany = () => new InvalidTag(`The number of tags exceeds the limit of ${MAX_TAGS}.`);

/** Valid, de-duplicated tags, or a 400 naming the first bad one. */
export function validTags(tags: readonly unknown[]): string[] {
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      throw new InvalidTag(`Invalid input for tags. Reason: '${String(tag)}' is not a valid tag.`);
    }
  }
  const unique = [...new Set(tags as string[])];
  if (unique.length > MAX_TAGS) throw tooMany();
  return unique;
}

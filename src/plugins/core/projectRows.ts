/**
 * The rows of a table whose objects only their project and admins see
 * (routers, floating IPs): another project's id is the resource's NotFound,
 * for reading and for changing alike.
 */
import type { Kysely, Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { resourceNotFound } from '../../common/errors.js';
import type { Database, Db } from '../../db/schema.js';
import type { ResourceDecl } from '../../resources/types.js';
import type { Condition } from './listRows.js';

type ProjectTable = { [T in keyof Database]: Database[T] extends { id: string; project_id: string } ? T : never }[keyof Database];

export interface ProjectRows<T extends ProjectTable> {
  /** The list conditions for this caller. */
  visible(ctx: RequestContext): Condition[];
  /** The row, whoever asks; the resource's NotFound when there is none. */
  row(db: Db, id: string): Promise<Selectable<Database[T]>>;
  /** The row if the caller may see it (and so change it). */
  visibleRow(db: Db, ctx: RequestContext, id: string): Promise<Selectable<Database[T]>>;
}

export function projectRows<T extends ProjectTable>(table: T, resource: ResourceDecl): ProjectRows<T> {
  type Row = Selectable<Database[T]>;
  // One table known only by name: the query is built untyped and its row typed by the table.
  const name: string = table;
  const dynamic = (db: Db) => db as unknown as Kysely<Record<string, { id: string; project_id: string }>>;
  const row = async (db: Db, id: string): Promise<Row> => {
    const found = await dynamic(db).selectFrom(name).selectAll().where('id', '=', id).executeTakeFirst();
    if (!found) throw resourceNotFound(resource, id);
    return found as unknown as Row;
  };
  return {
    visible: (ctx) => (ctx.isAdmin ? [] : [(eb) => eb(`${name}.project_id` as 'routers.project_id', '=', ctx.projectId)]),
    row,
    async visibleRow(db, ctx, id) {
      const found = await row(db, id);
      if (!ctx.isAdmin && (found as { project_id: string }).project_id !== ctx.projectId) throw resourceNotFound(resource, id);
      return found;
    },
  };
}

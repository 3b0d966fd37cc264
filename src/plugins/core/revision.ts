import { sql } from 'kysely';

import { RevisionNumberConstraintFailed } from '../../common/errors.js';
import { utcNow } from '../../common/time.js';

/** `If-Match: revision_number=N` (revision-if-match): proceed only at that revision. */
export function checkRevision(current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) throw new RevisionNumberConstraintFailed(expected, current);
}

/** The columns every change to a resource sets: one more revision, a new updated_at. Computed in SQL so concurrent changes all count. */
export const nextRevision = () => ({ revision_number: sql<number>`revision_number + 1`, updated_at: utcNow() });

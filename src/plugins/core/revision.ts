import { RevisionNumberConstraintFailed } from '../../common/errors.js';

/** `If-Match: revision_number=N` (revision-if-match): proceed only at that revision. */
export function checkRevision(current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) throw new RevisionNumberConstraintFailed(expected, current);
}

/** `If-Match: revision_number=N` (revision-if-match). Other entity tags are ignored, as Neutron does. */
import { NeutronError } from '../common/errors.js';

export function expectedRevision(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const tags = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'))
    .filter((t) => t.startsWith('revision_number='));
  if (tags.length === 0) return undefined;
  if (tags.length > 1) throw new NeutronError(400, 'BadRequest', 'Multiple revision_number etags are not supported.');
  const value = tags[0]!.slice('revision_number='.length);
  if (!/^-?\d+$/.test(value)) throw new NeutronError(400, 'BadRequest', `Revision number ${value} must be an integer.`);
  return Number(value);
}

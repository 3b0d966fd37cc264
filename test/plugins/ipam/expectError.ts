import assert from 'node:assert/strict';

import { NeutronError } from '../../../src/common/errors.js';

export interface ExpectedError {
  readonly status: number;
  readonly type: string;
  /** The exact message, or a pattern it must match. */
  readonly message?: string | RegExp;
}

/** Asserts that `fn` throws a NeutronError with this status, type and message. */
export function expectNeutronError(fn: () => unknown, expected: ExpectedError): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NeutronError, `expected a NeutronError, got ${String(error)}`);
    assert.equal(error.status, expected.status, `status of "${error.message}"`);
    assert.equal(error.type, expected.type, `type of "${error.message}"`);
    if (typeof expected.message === 'string') assert.equal(error.message, expected.message);
    else if (expected.message !== undefined) assert.match(error.message, expected.message);
    return true;
  });
}

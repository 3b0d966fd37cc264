/**
 * Checking payloads against a contract's schemas: one compiled validator
 * per schema (compiled on first use), and a short reason naming what is
 * wrong, e.g. `devices must be array` or `agent_state.binary is required`.
 */
import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';

/** At most this many problems are named in a reason. */
const MAX_PROBLEMS = 3;

const compiled = new WeakMap<TSchema, Validator>();

function validatorOf(schema: TSchema): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  return validator;
}

interface Problem {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: unknown;
  readonly message: string;
}

const pathOf = (instancePath: string, root: string): string =>
  instancePath === '' ? root : `${root === '' ? '' : `${root}.`}${instancePath.slice(1).replaceAll('/', '.')}`;

function describe(problem: Problem, root: string): string[] {
  const params = problem.params as { readonly requiredProperties?: readonly string[] } | undefined;
  if (problem.keyword === 'required' && params?.requiredProperties) {
    return params.requiredProperties.map((name) => `${pathOf(`${problem.instancePath}/${name}`, root)} is required`);
  }
  const where = pathOf(problem.instancePath, root);
  return [where === '' ? problem.message : `${where} ${problem.message}`];
}

/** Why `value` does not match `schema`, or undefined when it does. `root` names the value in the reason. */
export function mismatch(schema: TSchema, value: unknown, root = ''): string | undefined {
  const validator = validatorOf(schema);
  if (validator.Check(value)) return undefined;
  const reasons = [...new Set(validator.Errors(value).flatMap((problem) => describe(problem, root)))];
  const named = reasons.slice(0, MAX_PROBLEMS).join('; ');
  return reasons.length > MAX_PROBLEMS ? `${named}; and ${reasons.length - MAX_PROBLEMS} more` : named;
}

/** Whether `value` matches `schema`, as a type guard. */
export function matches<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return validatorOf(schema).Check(value);
}

/** A value that does not match its schema; `what` names it. */
export class SchemaMismatch extends Error {
  override readonly name = 'SchemaMismatch';
}

/** `value` as the schema's type, or a SchemaMismatch naming `what` and the problems (data from the database or another process). */
export function conform<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  if (matches(schema, value)) return value;
  throw new SchemaMismatch(`${what} does not match its schema: ${mismatch(schema, value, what) ?? ''}`);
}

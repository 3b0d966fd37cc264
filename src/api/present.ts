/**
 * Shapes a plugin's full object for one caller: only visible attributes,
 * without those the caller's `get_<member>:<attr>` rules hide, and exactly
 * the `fields=` asked for (undefined = all; names that are not attributes
 * select nothing).
 */
import type { RequestContext } from '../common/context.js';
import type { ApiObject } from '../plugins/collection.js';
import type { ResourceDecl } from '../resources/types.js';
import { hiddenAttributesSync } from './policy/builtin.js';

export type Presenter = (object: ApiObject) => ApiObject;

/**
 * `hidden`: what the request's policy hides (RequestPolicy.hiddenAttributes);
 * without it, what the built-in rules hide from this caller.
 */
export function presenter(
  resource: ResourceDecl,
  ctx: RequestContext,
  fields: readonly string[] | undefined,
  hidden: ReadonlySet<string> = hiddenAttributesSync(resource, ctx),
): Presenter {
  const keys = Object.entries(resource.attributes)
    .filter(([name, decl]) => decl.visible !== false && !hidden.has(name))
    .map(([name]) => name)
    .filter((name) => fields === undefined || fields.includes(name));
  // The common case (admin, all fields) needs no copy: plugins return exactly the declared attributes,
  // unless some are not shown (an address group's `shared`, which its policy reads).
  if (keys.length === Object.keys(resource.attributes).length) {
    return (object) => object;
  }
  return (object) => {
    const out: ApiObject = {};
    for (const key of keys) if (key in object) out[key] = object[key];
    return out;
  };
}

/**
 * The TypeScript types of the objects a declaration describes, derived from
 * the declarations themselves: `ObjectOf<'networks'>` is a network with
 * every attribute the loaded extensions add, typed as its declaration says.
 * Nothing here exists at run time.
 */
import type { coreResources, DeclaredExtension } from './index.js';
import type { AttrDecl, AttrType, Attributes, FieldDecl } from './types.js';

/** The value an attribute of this type holds once converted. */
export type ValueOf<T extends AttrType> = T extends { readonly kind: 'boolean' }
  ? boolean
  : T extends { readonly kind: 'integer' }
    ? number
    : T extends { readonly kind: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : T extends { readonly kind: 'list'; readonly of: infer O extends AttrType }
        ? ValueOf<O>[]
        : T extends { readonly kind: 'object'; readonly fields: infer F extends Readonly<Record<string, FieldDecl>> }
          ? { [K in keyof F]: F[K]['nullable'] extends true ? ValueOf<F[K]['type']> | null : ValueOf<F[K]['type']> }
          : T extends { readonly kind: 'dict' }
            ? Record<string, unknown>
            : T extends { readonly kind: 'any' }
              ? unknown
              : string;

export type AttrValue<A extends AttrDecl> = A['nullable'] extends true ? ValueOf<A['type']> | null : ValueOf<A['type']>;

/** An object with exactly these attributes. */
export type ObjectOfAttributes<A extends Attributes> = { [K in keyof A]: AttrValue<A[K]> };

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

type AllResources = (typeof coreResources)[number] | NonNullable<DeclaredExtension extends infer E ? E extends { readonly resources: readonly (infer R)[] } ? R : never : never>;

/** The collections this build serves. */
export type CollectionName = AllResources['collection'];

/** Their member names: `network`, `security_group_rule`... */
export type ResourceMember = AllResources['member'];

type DeclOf<C extends CollectionName> = Extract<AllResources, { readonly collection: C }>;

/** What each loaded extension adds to collection C (by name, and through the standard attributes). */
type ExtensionAttributes<C extends CollectionName> = UnionToIntersection<
  DeclaredExtension extends infer E
    ? E extends unknown
      ?
          | (E extends { readonly extends: infer X } ? (C extends keyof X ? X[C] : never) : never)
          | (E extends { readonly extendsStandard: infer S } ? (DeclOf<C> extends { readonly standardAttributes: true } ? S : never) : never)
          | (E extends { readonly extendsOwned: infer O } ? (DeclOf<C>['attributes'] extends { readonly tenant_id: unknown } ? O : never) : never)
      : never
    : never
>;

/** The attributes collection C declares itself, without what extensions add. */
export type OwnObjectOf<C extends CollectionName> = ObjectOfAttributes<DeclOf<C>['attributes']>;

/** The attributes the extensions add to collection C. */
export type ExtensionObjectOf<C extends CollectionName> = ExtensionAttributes<C> extends infer A extends Attributes ? ObjectOfAttributes<A> : unknown;

/** A whole object of collection C, as api/ shows it to an admin. */
export type ObjectOf<C extends CollectionName> = OwnObjectOf<C> & ExtensionObjectOf<C>;

/**
 * The collection whose objects member M names: the top-level one where a
 * nested collection shares its member name (a flavor's `service_profiles`
 * and `/v2.0/service_profiles` are both `service_profile`).
 */
export type CollectionOfMember<M extends ResourceMember> =
  Exclude<Extract<AllResources, { readonly member: M }>, { readonly parent: string }> extends infer D extends AllResources
    ? [D] extends [never]
      ? Extract<AllResources, { readonly member: M }>['collection']
      : D['collection']
    : never;

/**
 * The vocabulary in which every configuration option is declared, once, as
 * data: section, name, type, default, help, deprecated names. The loader and
 * the typed result (`ConfigOf`) are both derived from these declarations, so a
 * later part of the project (ML2, the agents) adds an option by adding a
 * declaration to its own group, never by touching the loader.
 */

/** The value types an option can hold; each converts a raw INI string (see convert.ts). */
export type OptType =
  | { readonly kind: 'string' }
  /** A filesystem path; kept as written, only named differently for help and docs. */
  | { readonly kind: 'path' }
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number }
  /** A TCP/UDP port: an integer in 1..65535. */
  | { readonly kind: 'port' }
  | { readonly kind: 'float'; readonly min?: number; readonly max?: number }
  /** oslo spellings: true/false, yes/no, on/off, 1/0, any case. */
  | { readonly kind: 'boolean' }
  /** Comma-separated; items trimmed, empty items dropped. */
  | { readonly kind: 'list' }
  /** `key:value,key2:value2`. */
  | { readonly kind: 'dict' }
  | { readonly kind: 'enum'; readonly choices: readonly string[] }
  /** Six colon-separated hex octets, e.g. `fa:16:3e:00:00:00`. */
  | { readonly kind: 'mac' }
  /** `scheme://...` where the scheme is one of `schemes` (compared without case). */
  | { readonly kind: 'url'; readonly schemes: readonly string[] };

export type OptKind = OptType['kind'];

/** The TypeScript type of a converted value of type `T`. */
export type ValueOf<T extends OptType> = T extends { readonly kind: 'enum'; readonly choices: readonly (infer C)[] }
  ? C
  : T extends { readonly kind: 'integer' | 'port' | 'float' }
    ? number
    : T extends { readonly kind: 'boolean' }
      ? boolean
      : T extends { readonly kind: 'list' }
        ? string[]
        : T extends { readonly kind: 'dict' }
          ? Record<string, string>
          : string;

/** A name under which an option used to be known; a bare string means the same section. */
export type DeprecatedName = string | { readonly section: string; readonly name: string };

/** One option of type `T`. Generic so that `default` is checked against `type`. */
export interface OptDeclOf<T extends OptType> {
  /**
   * `DEFAULT` exactly, any other section in lower case: oslo matches `[DEFAULT]`
   * case-sensitively and lower-cases every other section name (`[QUOTAS]` is `quotas`).
   */
  readonly section: string;
  readonly name: string;
  readonly type: T;
  /**
   * Used when no file and no override sets the option. A function is called
   * only when needed (the host name is not looked up unless it is used).
   * No default: the option is `undefined` until set.
   */
  readonly default?: ValueOf<T> | (() => ValueOf<T>);
  /**
   * What the sample files show as the default when `default` is a function,
   * whose value depends on the machine (oslo's `sample_default`).
   */
  readonly sampleDefault?: string;
  /** What the option means, in full sentences: the sample files print it above the option. */
  readonly help: string;
  /** Still accepted in files, with a warning; the current name wins within one file. */
  readonly deprecatedNames?: readonly DeprecatedName[];
}

/** Any option declaration; a union over the kinds so `satisfies` checks each default against its type. */
export type OptDecl = { [K in OptKind]: OptDeclOf<Extract<OptType, { readonly kind: K }>> }[OptKind];

/** An array of declarations that one part of the project owns (neutron.conf's, ml2_conf.ini's...). */
export type OptionGroup = readonly OptDecl[];

/** The value an option has after loading: `undefined` only if it has no default and nothing set it. */
export type OptValue<D extends OptDecl> = D extends { readonly default: unknown }
  ? ValueOf<D['type']>
  : ValueOf<D['type']> | undefined;

/** The typed configuration for a union of declarations: `cfg.DEFAULT.bind_port` is a `number`. */
export type ConfigOf<D extends OptDecl> = {
  readonly [S in D['section']]: {
    readonly [O in Extract<D, { readonly section: S }> as O['name']]: OptValue<O>;
  };
};

/** The declarations of several groups, as one union. */
export type DeclsOf<G extends readonly OptionGroup[]> = G[number][number];

/** Where an option's value came from, so callers can name the file in their own errors. */
export type ValueSource =
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly name: string }
  | { readonly kind: 'override' }
  | { readonly kind: 'default' };

/** Per section and option, the source of its value. */
export type SourcesOf<D extends OptDecl> = {
  readonly [S in D['section']]: {
    readonly [O in Extract<D, { readonly section: S }> as O['name']]: ValueSource;
  };
};

/**
 * Values a command imposes below the files (the all-in-one mode's SQLite
 * database, noauth): they replace declared defaults, any file still wins.
 */
export type OverridesOf<D extends OptDecl> = {
  readonly [S in D['section']]?: {
    readonly [O in Extract<D, { readonly section: S }> as O['name']]?: OverrideValue<ValueOf<O['type']>>;
  };
};

/** Overrides are read, never changed, so a `readonly` list or dict (an `as const` literal) is accepted. */
type OverrideValue<V> = V extends string[] ? readonly string[] : V extends object ? Readonly<V> : V;

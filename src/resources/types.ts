/**
 * The vocabulary in which every resource and extension is declared, once.
 * Everything generic (request validation, defaults, `fields=`, filters,
 * sorting, the extensions list, OpenAPI) is derived from these declarations.
 */

/** The value types an attribute can hold. Each knows how to convert and validate itself in api/validate.ts. */
export type AttrType =
  | { readonly kind: 'string'; readonly maxLength?: number; readonly name?: boolean }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'mac' }
  | { readonly kind: 'ip'; readonly version?: 4 | 6 }
  /** An IP address or a CIDR (allowed address pairs accept both). */
  | { readonly kind: 'ip-or-cidr' }
  | { readonly kind: 'cidr' }
  | { readonly kind: 'enum'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'list'; readonly of: AttrType; readonly unique?: boolean; readonly maxItems?: number }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, FieldDecl>> }
  /** Any JSON object, stored as given (binding:profile). */
  | { readonly kind: 'dict' }
  /** A DNS host name label or FQDN (dns_name, dns_domain). */
  | { readonly kind: 'dns-name'; readonly fqdn?: boolean }
  /**
   * Any JSON value, passed on unconverted: the plugin converts it with
   * rules no generic type describes and raises the resource's own error
   * types (a security group rule's protocol, port range, ethertype).
   */
  | { readonly kind: 'any' };

/** A key inside an object-typed attribute (a fixed_ips entry, an allocation pool). */
export interface FieldDecl {
  readonly type: AttrType;
  readonly required?: boolean;
  readonly nullable?: boolean;
}

export interface AttrDecl {
  readonly type: AttrType;
  /** Accepted in POST bodies. */
  readonly post?: boolean;
  /** Accepted in PUT bodies. */
  readonly put?: boolean;
  /** Must be present in POST bodies. */
  readonly required?: boolean;
  /** `null` is a valid value. */
  readonly nullable?: boolean;
  /**
   * Filled in when a POST omits the attribute. A function is called per
   * request (for fresh lists). No default means the plugin computes it.
   */
  readonly default?: unknown;
  /** Usable as a list filter (`?name=x`). */
  readonly filter?: boolean;
  /** Usable as `sort_key`. */
  readonly sort?: boolean;
  /** Returned in responses; false for write-only attributes such as subnet `prefixlen`. */
  readonly visible?: boolean;
  /** Who may set it: `admin` attributes are refused (403) for other callers on POST and PUT. */
  readonly policy?: 'admin';
  /** Hidden from callers that are not admin (binding:*). */
  readonly adminOnlyVisible?: boolean;
}

export type Attributes = Readonly<Record<string, AttrDecl>>;

export interface ResourceDecl {
  /** Plural URL segment and list envelope key: `networks`, `security-groups`. */
  readonly collection: string;
  /** Singular body key: `network`, `security_group`. */
  readonly member: string;
  readonly attributes: Attributes;
  /** Supports the tags sub-resource (standard-attr-tag). */
  readonly taggable?: boolean;
  /** Has the standard attributes (description, timestamps, revision_number, tags). */
  readonly standardAttributes?: boolean;
}

/** An extension as advertised in /v2.0/extensions, plus what it adds. */
export interface ExtensionDecl {
  readonly alias: string;
  readonly name: string;
  readonly description: string;
  readonly updated: string;
  /** Attributes it adds to existing collections, keyed by collection. */
  readonly extends?: Readonly<Record<string, Attributes>>;
  /** Attributes it adds to every collection that has the standard attributes. */
  readonly extendsStandard?: Attributes;
  /** Whole new collections it introduces. */
  readonly resources?: readonly ResourceDecl[];
}

/**
 * The vocabulary in which every resource and extension is declared, once.
 * Everything generic (request validation, defaults, `fields=`, filters,
 * sorting, the extensions list, OpenAPI) is derived from these declarations.
 */

/** The value types an attribute can hold. Each knows how to convert and validate itself in api/validate.ts. */
export type AttrType =
  /** `notEmpty`: neutron-lib's type:not_empty_string (a blank string is refused). */
  | { readonly kind: 'string'; readonly maxLength?: number; readonly name?: boolean; readonly notEmpty?: boolean }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'boolean' }
  /** `nonNegative`: neutron-lib's type:non_negative, whose refusal says "should be non-negative" (with `min: 0`). */
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number; readonly nonNegative?: boolean }
  | { readonly kind: 'mac' }
  | { readonly kind: 'ip'; readonly version?: 4 | 6 }
  /** An IP address or a CIDR (allowed address pairs accept both). */
  | { readonly kind: 'ip-or-cidr' }
  | { readonly kind: 'cidr' }
  | { readonly kind: 'enum'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'list'; readonly of: AttrType; readonly unique?: boolean; readonly maxItems?: number }
  /** `emptyIsNull`: neutron-lib's dict_or_nodata, where `{}` says "none" as null does (a router's external_gateway_info). */
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, FieldDecl>>; readonly emptyIsNull?: boolean }
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
  /**
   * Usable as a list filter (`?name=x`): `true` filters on the attribute's
   * column; `'plugin'` on a condition a plugin registers (an attribute stored
   * in another table, or derived). Checked when the server starts.
   */
  readonly filter?: boolean | 'plugin';
  /** Usable as `sort_key`. */
  readonly sort?: boolean;
  /** Returned in responses; false for write-only attributes such as subnet `prefixlen`. */
  readonly visible?: boolean;
  /** Who may set it: `admin` attributes are refused (403) for other callers on POST and PUT. */
  readonly policy?: 'admin';
  /**
   * False where neutron-lib's attribute map has no `enforce_policy`: Neutron
   * registers the `<action>:<attr>` rules but never checks them (subnets'
   * service_types), and so does Nucleon.
   */
  readonly enforcePolicy?: false;
  /** Hidden from callers that are not admin (binding:*). */
  readonly adminOnlyVisible?: boolean;
  /**
   * The column of the resource's table that stores it; a boolean is stored
   * as 0/1, a dict as JSON text. Absent: the plugin computes it or stores
   * it elsewhere (a network's subnets, a port's fixed_ips).
   */
  readonly column?: string;
}

export type Attributes = Readonly<Record<string, AttrDecl>>;

/** The error a resource answers for an id the caller may not see: its Neutron type and message. */
export interface NotFoundDecl {
  readonly type: string;
  readonly message: (id: string) => string;
}

/**
 * A default rule: its rule string, or the rule string and the deprecated
 * form Neutron still honours (`deprecated_rule=policy.DeprecatedRule(...)`),
 * which with `[oslo_policy] enforce_new_defaults = false` (the default) is
 * OR'ed with it, as oslo.policy does.
 */
export type PolicyRuleDecl = string | { readonly rule: string; readonly deprecated: string };

/** Policy defaults (Neutron's rule names and rule strings) and how rules reach a resource's parent. */
export interface PolicyDecl {
  /** Default rules, e.g. `create_network`, `get_network:tags`; a policy file overrides them. */
  readonly rules?: Readonly<Record<string, PolicyRuleDecl>>;
  /**
   * The name the rules give the resource when it is not the member: a
   * nested resource's are `<op>_<parent member>_<member>` upstream
   * (neutron/api/v2/base.py), so a port's `binding` is `port_binding`
   * (`create_port_binding`). Default: the member.
   */
  readonly name?: string;
  /**
   * Other resources name this one through this attribute (`network_id`):
   * their rules may read `%(network:project_id)s` and `field:networks:...`
   * (neutron/policy.py _RESOURCE_FOREIGN_KEYS).
   */
  readonly foreignKey?: string;
  /**
   * The member of the parent a create needs (a port's `network`): refused,
   * a caller who may not use the parent gets the parent's NotFound.
   */
  readonly createParent?: string;
}

/** How a resource counts against its project's quota. */
export interface QuotaDecl {
  /** The quota resource name (`network`, `security_group_rule`); default: the member name. */
  readonly resource?: string;
  /** Objects the server creates itself (DHCP ports) are counted but never refused. */
  readonly exempt?: (object: Readonly<Record<string, unknown>>) => boolean;
}

/**
 * A member action: `PUT /v2.0/<collection>/{id}/<name>` with a bare object
 * as body (no envelope), e.g. a router's `add_router_interface`. Its policy
 * rule is `<name>` on the object, as Neutron's.
 */
export interface ActionDecl {
  readonly method: 'PUT' | 'POST' | 'GET' | 'DELETE';
  /** The body's keys; absent: the action takes no body. */
  readonly body?: Attributes;
  /** Answers a bare JSON list of objects instead of an object (onboard_network_subnets). */
  readonly answersList?: boolean;
}

export interface ResourceDecl {
  /** Plural URL segment and list envelope key: `networks`, `security-groups`. */
  readonly collection: string;
  /** Singular body key: `network`, `security_group`. */
  readonly member: string;
  /**
   * The attribute that names an object in its URL, as neutron-lib's
   * `primary_key` (a port binding's `host`); default `id`.
   */
  readonly primaryKey?: string;
  /** Where the collection lives under /v2.0 when not at `collection` (`qos/policies`). */
  readonly path?: string;
  /**
   * A collection nested under a member of another: served at
   * `/v2.0/<parent path>/{id}/<path>`, its plugin asked per parent.
   */
  readonly parent?: string;
  readonly attributes: Attributes;
  /** The table holding one row per object; attributes name their columns. */
  readonly table?: string;
  readonly notFound?: NotFoundDecl;
  readonly policy?: PolicyDecl;
  readonly quota?: QuotaDecl;
  readonly actions?: Readonly<Record<string, ActionDecl>>;
  /** False where upstream's controller is built without allow_bulk (a port's bindings): a list of objects is a 400. */
  readonly bulk?: false;
  /** Objects cannot change once created (security group rules): PUT answers 405 whatever the attributes say. */
  readonly immutable?: boolean;
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
  /** Attributes it adds to every collection whose objects belong to a project (that declares tenant_id). */
  readonly extendsOwned?: Attributes;
  /** Whole new collections it introduces. */
  readonly resources?: readonly ResourceDecl[];
}

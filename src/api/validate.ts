/**
 * Conversion and validation of one JSON value against its declared AttrType.
 *
 * Mirrors neutron-lib's converters (neutron_lib/api/converters.py) and
 * validators (neutron_lib/api/validators/__init__.py, validators/dns.py),
 * including their reason texts. Upstream distinguishes the two stages and so
 * do we, because clients see different errors:
 *
 * - a converter failure (`convert_to_boolean`, `convert_to_int`, ...) raises
 *   `InvalidInput`: "Invalid input for operation: 'x' cannot be converted to boolean."
 * - a validator failure is wrapped by the API layer as `HTTPBadRequest`:
 *   "Invalid input for admin_state_up. Reason: 'x' is not a valid UUID."
 *
 * Every function returns a new value; the input is never modified.
 */
import ipaddr from 'ipaddr.js';

import { BadRequest, InvalidInput, type NeutronError } from '../common/errors.js';
import type { AttrDecl, AttrType } from '../resources/types.js';
import { isJsonObject, jsonClone, jsonEqual, pySetRepr, pyStr, type JsonObject } from './pyFormat.js';

/** Which neutron-lib stage rejected the value (decides the error type, see above). */
export type FailureStage = 'convert' | 'validate';

/**
 * A rejected value. `path` locates it inside the attribute (`[2]`, `.subnet_id`,
 * `[0].ip_address`), empty for the attribute itself.
 */
export class InvalidValue extends Error {
  constructor(
    readonly reason: string,
    readonly stage: FailureStage,
    readonly path = '',
  ) {
    super(reason);
  }

  /** The same failure, seen from one level up. */
  within(segment: string): InvalidValue {
    return new InvalidValue(this.reason, this.stage, segment + this.path);
  }
}

/** The error a client sees for an attribute whose value was rejected. */
export function invalidAttribute(attr: string, failure: InvalidValue): NeutronError {
  return failure.stage === 'convert'
    ? new InvalidInput(failure.reason)
    : new BadRequest(`Invalid input for ${attr}${failure.path}. Reason: ${failure.reason}.`);
}

/** The largest value of the INTEGER columns integer attributes are stored in, on every backend. */
export const MAX_STORED_INTEGER = 2 ** 31 - 1;

/**
 * An integer stored in a column holds what an INTEGER column holds: without a declared maximum, a larger
 * value is a 400 here rather than a database error (MySQL's out of range, PostgreSQL's 22003) later.
 */
export const storedType = (decl: AttrDecl): AttrType =>
  decl.type.kind === 'integer' && decl.column !== undefined && decl.type.max === undefined
    ? { ...decl.type, max: MAX_STORED_INTEGER, ...(decl.type.min === undefined ? { min: -MAX_STORED_INTEGER - 1 } : {}) }
    : decl.type;

/** Converts and validates a request body value of attribute `attr`; throws the client-facing error. */
export function convertAttribute(attr: string, decl: AttrDecl, value: unknown): unknown {
  try {
    return convertValue(storedType(decl), value, decl.nullable === true);
  } catch (e) {
    if (e instanceof InvalidValue) throw invalidAttribute(attr, e);
    throw e;
  }
}

/**
 * Converts then validates `value` as `type`. Returns the converted value
 * (booleans from strings, integers from numeric strings, lower-case MACs and
 * DNS names, canonical UUIDs and IPv6 addresses, copies of lists and objects).
 * CIDRs are validated but not canonicalised: plugins report non-canonical
 * CIDRs in resource-specific ways. Throws InvalidValue.
 */
export function convertValue(type: AttrType, value: unknown, nullable = false): unknown {
  if (value === null && nullable) return null;
  switch (type.kind) {
    case 'string':
      return convertString(type, value);
    case 'uuid': {
      const uuid = canonicalUuid(value);
      if (uuid === undefined) throw invalid(`'${pyStr(value)}' is not a valid UUID`);
      return uuid;
    }
    case 'boolean':
      return convertBoolean(value);
    case 'integer':
      return checkRange(type, convertInteger(value));
    case 'mac': {
      // convert_to_sanitized_mac_address runs first and leaves unparsable input as is.
      const mac = typeof value === 'string' ? sanitizeMac(value) : undefined;
      if (mac === undefined || INVALID_MACS.has(mac)) {
        throw invalid(`'${mac ?? pyStr(value)}' is not a valid MAC address`);
      }
      return mac;
    }
    case 'ip': {
      const ip = parseIp(value);
      if ('error' in ip) throw invalid(ip.error);
      if (type.version !== undefined && ip.version !== type.version) {
        throw invalid(`'${pyStr(value)}' is not a valid IPv${type.version} address`);
      }
      return ip.address;
    }
    case 'ip-or-cidr': {
      const ip = parseIp(value);
      if (!('error' in ip)) return ip.address;
      if (isValidCidr(value)) return value;
      throw invalid(`'${pyStr(value)}' is neither a valid IP address, nor is it a valid IP subnet`);
    }
    case 'cidr':
      if (!isValidCidr(value)) throw invalid(`'${pyStr(value)}' is not a valid IP subnet`);
      return value;
    case 'enum': {
      const numeric = type.values.length > 0 && type.values.every((v) => typeof v === 'number');
      const converted = numeric ? convertInteger(value) : value;
      if (!type.values.some((v) => v === converted)) {
        // neutron-lib's validate_values is called without a display string,
        // so upstream literally says "... is not in valid_values".
        throw invalid(`${pyStr(converted)} is not in valid_values`);
      }
      return converted;
    }
    case 'list':
      return convertList(type, value);
    case 'object':
      return convertObject(type, value);
    case 'dict':
      if (!isJsonObject(value)) throw invalid(`'${pyStr(value)}' is not a dictionary`);
      return jsonClone(value);
    case 'any':
      return jsonClone(value);
    case 'dns-name': {
      // convert_string_to_case_insensitive, then validate_dns_name / validate_dns_domain.
      if (typeof value !== 'string') {
        throw new InvalidValue(`Input value ${pyStr(value)} must be string type`, 'convert');
      }
      const lower = value.toLowerCase();
      const reason = type.fqdn === true ? dnsDomainProblem(lower) : dnsFormatProblem(lower);
      if (reason !== undefined) throw invalid(reason);
      return lower;
    }
    default:
      return assertNever(type);
  }
}

/**
 * Converts one raw query-string value for filtering on an attribute of
 * `type`. Like upstream `get_filters`, only converters run (`?id=junk` is not
 * an error, it matches nothing); a converter failure is a 400 InvalidInput.
 */
export function convertFilterValue(type: AttrType, raw: string): unknown {
  try {
    return filterValue(type, raw);
  } catch (e) {
    if (e instanceof InvalidValue) throw new InvalidInput(e.reason);
    throw e;
  }
}

function filterValue(type: AttrType, raw: string): unknown {
  switch (type.kind) {
    case 'boolean':
      return convertBoolean(raw);
    case 'integer':
      return convertInteger(raw);
    case 'enum':
      return type.values.length > 0 && type.values.every((v) => typeof v === 'number') ? convertInteger(raw) : raw;
    case 'uuid':
      return canonicalUuid(raw) ?? raw;
    case 'mac':
      return sanitizeMac(raw) ?? raw;
    case 'ip': {
      const ip = parseIp(raw);
      return 'error' in ip ? raw : ip.address;
    }
    case 'dns-name':
      return raw.toLowerCase();
    case 'list':
      return filterValue(type.of, raw);
    case 'string':
    case 'ip-or-cidr':
    case 'cidr':
    case 'object':
    case 'dict':
    case 'any':
      return raw;
    default:
      return assertNever(type);
  }
}

// ---------------------------------------------------------------------------
// Scalars

function invalid(reason: string): InvalidValue {
  return new InvalidValue(reason, 'validate');
}

function assertNever(x: never): never {
  throw new Error(`unhandled attribute type ${JSON.stringify(x)}`);
}

/** Python's len(): code points, not UTF-16 units. */
function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function convertString(type: Extract<AttrType, { kind: 'string' }>, value: unknown): string {
  if (typeof value !== 'string') throw invalid(`'${pyStr(value)}' is not a valid string`);
  if (type.maxLength !== undefined && pyLen(value) > type.maxLength) {
    throw invalid(`'${value}' exceeds maximum length of ${type.maxLength}`);
  }
  if (type.name === true && !isValidName(value)) throw invalid(`'${value}' is not a valid string`);
  if (type.notEmpty === true && value.trim() === '') throw invalid(`'${value}' Blank strings are not permitted`);
  return value;
}

/**
 * neutron-lib's `validate_name_string`: every character printable (not a
 * control/format/unassigned character, no line or paragraph separator), and
 * neither the first nor the last one a space. Upstream builds its character
 * class from the BMP only, so characters beyond U+FFFE (emoji) are refused too.
 */
const NAME_RE = /^(?![\p{C}\p{Z}])[^\p{C}\p{Zl}\p{Zp}]*(?<![\p{C}\p{Z}])$/u;
const ASTRAL_RE = /[\u{FFFF}-\u{10FFFF}]/u;

export function isValidName(s: string): boolean {
  return NAME_RE.test(s) && !ASTRAL_RE.test(s);
}

/** oslo's uuidutils.is_uuid_like, returning the canonical lower-case dashed form. */
export function canonicalUuid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '')
    .toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** neutron-lib's convert_to_boolean (oslo bool_from_string, strict). */
export function convertBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' || typeof value === 'number') {
    const s = String(value).trim().toLowerCase();
    if (TRUE_STRINGS.has(s)) return true;
    if (FALSE_STRINGS.has(s)) return false;
  }
  throw new InvalidValue(`'${pyStr(value)}' cannot be converted to boolean`, 'convert');
}

/**
 * neutron-lib's convert_to_int: integers and decimal strings (surrounding
 * whitespace and a sign allowed). Unlike Python's int(), fractional numbers
 * and booleans are refused rather than truncated.
 */
export function convertInteger(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) {
    const n = Number(value.trim());
    if (Number.isSafeInteger(n)) return n;
  }
  throw new InvalidValue(`'${pyStr(value)}' is not an integer`, 'convert');
}

function checkRange(type: Extract<AttrType, { kind: 'integer' }>, n: number): number {
  if (type.nonNegative && n < 0) throw invalid(`'${n}' should be non-negative`);
  if (type.min !== undefined && n < type.min) throw invalid(`'${n}' is too small - must be at least '${type.min}'`);
  if (type.max !== undefined && n > type.max) {
    throw invalid(`'${n}' is too large - must be no larger than '${type.max}'`);
  }
  return n;
}

// ---------------------------------------------------------------------------
// MAC and IP

const INVALID_MACS = new Set(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);

/** The groups netaddr accepts for an EUI-48: separator and digits per group. */
const MAC_FORMATS: readonly { re: RegExp; width: number }[] = [
  { re: /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i, width: 2 },
  { re: /^([0-9a-f]{1,4})([:.-])([0-9a-f]{1,4})\2([0-9a-f]{1,4})$/i, width: 4 },
  { re: /^([0-9a-f]{5,6})([:-])([0-9a-f]{5,6})$/i, width: 6 },
];

/**
 * convert_to_sanitized_mac_address: any netaddr EUI-48 spelling
 * (`AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `a:b:c:d:e:f`, `aabbccddeeff`) as
 * `aa:bb:cc:dd:ee:ff`; undefined when it is not a MAC.
 */
export function sanitizeMac(value: string): string | undefined {
  const hex = macHexDigits(value)?.toLowerCase();
  return hex?.match(/../g)?.join(':');
}

function macHexDigits(value: string): string | undefined {
  if (/^[0-9a-f]{11,12}$/i.test(value)) return value.padStart(12, '0');
  for (const { re, width } of MAC_FORMATS) {
    const m = re.exec(value);
    if (m) {
      // Group 2 is the separator.
      return m
        .slice(1)
        .filter((_, i) => i !== 1)
        .map((g) => (g ?? '').padStart(width, '0'))
        .join('');
    }
  }
  return undefined;
}

type ParsedIp = { address: string; version: 4 | 6 } | { error: string };

/**
 * neutron-lib's validate_ip_address. IPv4 must be four decimal octets;
 * leading zeros are refused with a recommendation (they could be octal).
 * IPv6 is returned in canonical compact form (convert_ip_to_canonical_format).
 */
export function parseIp(value: unknown): ParsedIp {
  const notValid = { error: `'${pyStr(value)}' is not a valid IP address` };
  if (typeof value !== 'string') return notValid;
  if (value.includes(':')) {
    if (value.includes('%') || !ipaddr.IPv6.isValid(value)) return notValid;
    const v6 = ipaddr.IPv6.parse(value);
    const address = v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String();
    return { address, version: 6 };
  }
  const octets = value.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return notValid;
  const canonical = octets.map((o) => String(Number(o))).join('.');
  if (canonical !== value) {
    return { error: `'${value}' is not an accepted IP address, '${canonical}' is recommended` };
  }
  return { address: value, version: 4 };
}

/**
 * neutron-lib's validate_subnet: `address/prefix`, host bits allowed. IPv4
 * must be written canonically (netaddr's str() must give it back).
 */
export function isValidCidr(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  const ip = parseIp(address);
  if ('error' in ip) return false;
  if (ip.version === 4) return String(Number(prefix)) === prefix && Number(prefix) <= 32;
  return Number(prefix) <= 128;
}

// ---------------------------------------------------------------------------
// DNS (neutron_lib/api/validators/dns.py)

const FQDN_MAX_LEN = 255;
const DNS_LABEL_RE = /^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/;

/** _validate_dns_format: a PQDN or FQDN (trailing dot allowed); undefined when valid. */
function dnsFormatProblem(data: string): string | undefined {
  if (data === '') return undefined;
  const reason = ((): string | undefined => {
    const trimmed = data.endsWith('.') ? data.slice(0, -1) : data;
    if (pyLen(trimmed) > FQDN_MAX_LEN) return `'${trimmed}' exceeds the ${FQDN_MAX_LEN} character FQDN limit`;
    const labels = trimmed.split('.');
    for (const label of labels) {
      if (label === '') return 'Encountered an empty component';
      if (label.startsWith('-') || label.endsWith('-')) return `Name '${label}' must not start or end with a hyphen`;
      if (!DNS_LABEL_RE.test(label)) {
        return `Name '${label}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen`;
      }
    }
    const tld = labels[labels.length - 1] ?? '';
    if (labels.length > 1 && /^[0-9]+$/.test(tld)) return `TLD '${tld}' must not be all numeric`;
    return undefined;
  })();
  return reason === undefined ? undefined : `'${data}' not a valid PQDN or FQDN. Reason: ${reason}`;
}

/** validate_dns_domain: empty, or an FQDN (trailing dot) leaving room for a host label. */
function dnsDomainProblem(data: string): string | undefined {
  if (data === '') return undefined;
  if (!data.endsWith('.')) return `'${data}' is not a FQDN`;
  const format = dnsFormatProblem(data);
  if (format !== undefined) return format;
  const length = pyLen(data);
  if (length > FQDN_MAX_LEN - 2) {
    return (
      `'${data}' contains ${length} characters. Adding a sub-domain will cause it to exceed ` +
      `the maximum length of a FQDN of '${FQDN_MAX_LEN}'`
    );
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Containers

function duplicatesOf(items: readonly unknown[]): unknown[] {
  const seen: unknown[] = [];
  const dups: unknown[] = [];
  for (const item of items) {
    if (seen.some((s) => jsonEqual(s, item))) {
      if (!dups.some((d) => jsonEqual(d, item))) dups.push(item);
    } else {
      seen.push(item);
    }
  }
  return dups;
}

function checkDuplicates(items: readonly unknown[]): void {
  const dups = duplicatesOf(items);
  if (dups.length > 0) throw invalid(`Duplicate items in the list: '${dups.map(pyStr).join(', ')}'`);
}

function convertList(type: Extract<AttrType, { kind: 'list' }>, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw invalid(`'${pyStr(value)}' is not a list`);
  // Upstream looks for duplicates before validating the items.
  if (type.unique === true) checkDuplicates(value);
  if (type.maxItems !== undefined && value.length > type.maxItems) {
    throw invalid(`'${pyStr(value)}' has more than ${type.maxItems} items`);
  }
  const out = value.map((item: unknown, i) => {
    try {
      return convertValue(type.of, item, false);
    } catch (e) {
      throw e instanceof InvalidValue ? e.within(`[${i}]`) : e;
    }
  });
  // Again after conversion: `AA:BB:..` and `aa:bb:..` are the same MAC.
  if (type.unique === true) checkDuplicates(out);
  return out;
}

function convertObject(type: Extract<AttrType, { kind: 'object' }>, value: unknown): JsonObject | null {
  if (!isJsonObject(value)) throw invalid(`'${pyStr(value)}' is not a dictionary`);
  if (type.emptyIsNull === true && Object.keys(value).length === 0) return null;
  const required = Object.entries(type.fields)
    .filter(([, f]) => f.required === true)
    .map(([k]) => k);
  if (required.some((k) => !Object.hasOwn(value, k))) {
    throw invalid(
      `Validation of dictionary's keys failed. Expected keys: ${pySetRepr(required)} ` +
        `Provided keys: ${pySetRepr(Object.keys(value))}`,
    );
  }
  const unexpected = Object.keys(value).filter((k) => !Object.hasOwn(type.fields, k));
  if (unexpected.length > 0) throw invalid(`Unexpected keys supplied: ${unexpected.join(', ')}`);
  const out: JsonObject = {};
  for (const [key, field] of Object.entries(type.fields)) {
    if (!Object.hasOwn(value, key)) continue;
    try {
      out[key] = convertValue(field.type, value[key], field.nullable === true);
    } catch (e) {
      throw e instanceof InvalidValue ? e.within(`.${key}`) : e;
    }
  }
  return out;
}

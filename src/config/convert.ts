/**
 * Conversion of raw INI strings to typed option values, and back. A failed
 * conversion returns a reason (never throws) so the loader can wrap it in a
 * ConfigError that names the file, section and option.
 */
import type { OptType, ValueOf } from './types.js';

export type Converted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Any value an option can hold. */
export type AnyValue = ValueOf<OptType>;

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const fail = (reason: string): Converted<never> => ({ ok: false, reason });

/**
 * Converts `raw` (already trimmed and interpolated) to a value of `type`.
 * An empty string is handled by the caller (see `isUnsetValue`).
 */
export function convertValue<T extends OptType>(type: T, raw: string): Converted<ValueOf<T>>;
export function convertValue(type: OptType, raw: string): Converted<AnyValue> {
  const quoted = `'${raw}'`;
  switch (type.kind) {
    case 'string':
    case 'path':
      return ok(raw);
    case 'integer':
    case 'port': {
      const text = raw.trim();
      if (!INTEGER.test(text)) return fail(`${quoted} is not an integer`);
      const value = Number(text);
      if (!Number.isSafeInteger(value)) return fail(`${quoted} is too large`);
      const [min, max] = type.kind === 'port' ? [1, 65535] : [type.min, type.max];
      return checkRange(value, min, max, quoted);
    }
    case 'float': {
      const text = raw.trim();
      if (!FLOAT.test(text)) return fail(`${quoted} is not a number`);
      return checkRange(Number(text), type.min, type.max, quoted);
    }
    case 'boolean': {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return ok(true);
      if (FALSE_WORDS.has(word)) return ok(false);
      return fail(`${quoted} is not a boolean (use true/false, yes/no, on/off or 1/0)`);
    }
    case 'list':
      return ok(splitList(raw));
    case 'dict': {
      const dict: Record<string, string> = {};
      for (const item of splitList(raw)) {
        const colon = item.indexOf(':');
        if (colon < 0) return fail(`${quoted} is not a dict: item '${item}' is not 'key:value'`);
        dict[item.slice(0, colon).trim()] = item.slice(colon + 1).trim();
      }
      return ok(dict);
    }
    case 'enum': {
      const text = raw.trim();
      if (type.choices.includes(text)) return ok(text);
      return fail(`${quoted} is not one of ${type.choices.join(', ')}`);
    }
    case 'mac': {
      const text = raw.trim();
      if (!MAC.test(text)) return fail(`${quoted} is not a MAC address like fa:16:3e:00:00:00`);
      return ok(text.toLowerCase());
    }
    case 'url': {
      const text = raw.trim();
      const scheme = URL_SCHEME.exec(text)?.[1]?.toLowerCase();
      if (scheme === undefined) return fail(`${quoted} is not a URL (expected scheme://...)`);
      if (!type.schemes.includes(scheme)) {
        return fail(`${quoted} has unsupported scheme '${scheme}' (supported: ${type.schemes.join(', ')})`);
      }
      return ok(text);
    }
    default:
      return assertNever(type);
  }
}

/**
 * oslo reads an empty number as "unset" (None); we read an empty value of any
 * non-text type the same way, so the layer below (override or default)
 * applies and the typed result stays defined. Strings, paths, lists and dicts
 * keep the empty value ('' / [] / {}).
 */
export function isUnsetValue(type: OptType, raw: string): boolean {
  if (raw.trim() !== '') return false;
  return !(type.kind === 'string' || type.kind === 'path' || type.kind === 'list' || type.kind === 'dict');
}

/**
 * Renders a typed value (a default or an override) as the string a file
 * would hold, so every layer goes through the same interpolation and
 * conversion, and a bad override is caught like a bad file value.
 */
export function renderValue(value: AnyValue): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
  }
  return String(value);
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function checkRange(value: number, min: number | undefined, max: number | undefined, quoted: string) {
  if (min !== undefined && value < min) return fail(`${quoted} is less than the minimum ${min}`);
  if (max !== undefined && value > max) return fail(`${quoted} is greater than the maximum ${max}`);
  return ok(value);
}

function assertNever(value: never): never {
  throw new Error(`unhandled option type ${JSON.stringify(value)}`);
}

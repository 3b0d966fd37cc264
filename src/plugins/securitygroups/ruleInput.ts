/**
 * Security group rule input, as Neutron converts and checks it: the
 * converters of neutron/extensions/securitygroup.py (protocol, ports,
 * ethertype, remote_ip_prefix), then the checks of
 * SecurityGroupDbMixin._validate_base_security_group_rule_attributes in
 * upstream's order, and the key that decides when two rules are the same.
 * Pure functions: every error is one of the typed errors in ./errors.ts.
 */
import ipaddr from 'ipaddr.js';
import { IP_PROTOCOL_MAP, PORT_PROTOCOLS } from '../../common/ipProtocols.js';

import {
  InvalidCidrPrefix,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType,
  SecurityGroupMultipleRemoteEntites,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleParameterConflict,
} from './errors.js';

export type Ethertype = 'IPv4' | 'IPv6';
export type Direction = 'ingress' | 'egress';

/** A rule's attributes once converted; what checkRule checks and normalises. */
export interface RuleAttributes {
  readonly security_group_id: string;
  readonly direction: Direction;
  readonly ethertype: Ethertype;
  /** A protocol name or a decimal number (as text); null = any. */
  readonly protocol: string | null;
  readonly port_range_min: number | null;
  readonly port_range_max: number | null;
  readonly remote_ip_prefix: string | null;
  readonly remote_group_id: string | null;
  readonly remote_address_group_id: string | null;
}


/** Number -> name, the legacy `icmpv6` left out; `0` is `ip` (the later of hopopt and ip), as upstream builds it. */
const PROTOCOL_NUMBER_TO_NAME: ReadonlyMap<string, string> = new Map(
  [...IP_PROTOCOL_MAP].filter(([name]) => name !== 'icmpv6').map(([name, number]) => [String(number), name]),
);

const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE';
const ICMP_PROTOCOLS = new Set([1, 58]);

/** Protocols only IPv6 carries, by name and number. */
const IPV6_ONLY_PROTOCOLS = new Set([
  'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route',
  '41', '44', '58', '59', '60', '43',
]);

/** IPv6 rules name ICMP `ipv6-icmp` (58) whatever the client wrote. */
const IPV6_ICMP_LEGACY = new Set(['icmp', 'icmpv6']);

const SUPPORTED_PROTOCOLS_TEXT = `(None, 'any', ${[...IP_PROTOCOL_MAP.keys()].map((p) => `'${p}'`).join(', ')})`;
const ETHERTYPES: readonly Ethertype[] = ['IPv4', 'IPv6'];

/** Python's str() of a JSON value, for messages. */
function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

const DECIMAL = /^\s*[+-]?\d+\s*$/;

/** An integer from a JSON number or decimal text; undefined otherwise (booleans and fractions included). */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/**
 * convert_protocol: null and `any` mean every protocol (null); a number
 * 0-255 (or its text) is kept as decimal text; a name is lower-cased.
 */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const invalid = () => new SecurityGroupRuleInvalidProtocol(pyStr(value), SUPPORTED_PROTOCOLS_TEXT);
  const number = integerOf(value);
  if (number !== undefined) {
    if (number < 0 || number > 255) throw invalid();
    return String(number);
  }
  if (typeof value !== 'string') throw invalid();
  const name = value.toLowerCase();
  if (name === 'any') return null;
  if (IP_PROTOCOL_MAP.has(name)) return name;
  throw invalid();
}

/** convert_validate_port_value: null, or an integer 0-65535 (or its text). */
export function convertPort(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const number = integerOf(value);
  if (number === undefined || number < 0 || number > 65535) throw new SecurityGroupInvalidPortValue(pyStr(value));
  return number;
}

/** convert_ethertype_to_case_insensitive: `ipv4` -> `IPv4`. */
export function convertEthertype(value: unknown): Ethertype {
  if (typeof value === 'string') {
    const found = ETHERTYPES.find((e) => e.toLowerCase() === value.toLowerCase());
    if (found) return found;
  }
  throw new SecurityGroupRuleInvalidEtherType(pyStr(value), "['IPv4', 'IPv6']");
}

interface ParsedPrefix {
  readonly version: 4 | 6;
  readonly address: string;
  readonly prefix: number;
}

function parsePrefix(value: string): ParsedPrefix | undefined {
  const slash = value.indexOf('/');
  const addressText = slash < 0 ? value : value.slice(0, slash);
  const prefixText = slash < 0 ? undefined : value.slice(slash + 1);
  let version: 4 | 6;
  let address: string;
  if (addressText.includes(':')) {
    if (addressText.includes('%') || !ipaddr.IPv6.isValid(addressText)) return undefined;
    const v6 = ipaddr.IPv6.parse(addressText);
    version = 6;
    address = v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String();
  } else {
    const octets = addressText.split('.');
    if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255)) return undefined;
    version = 4;
    address = addressText;
  }
  const bits = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { version, address, prefix: bits };
  if (/^\d{1,3}$/.test(prefixText)) {
    const prefix = Number(prefixText);
    return prefix <= bits ? { version, address, prefix } : undefined;
  }
  // An IPv4 netmask in dotted form: 10.0.0.0/255.255.255.0.
  if (version === 4 && ipaddr.IPv4.isValidFourPartDecimal(prefixText)) {
    const prefix = ipaddr.IPv4.parse(prefixText).prefixLengthFromSubnetMask();
    return prefix === null ? undefined : { version, address, prefix };
  }
  return undefined;
}

/**
 * convert_ip_prefix_to_cidr: empty means none; an address gets its full
 * mask (`10.0.0.1` -> `10.0.0.1/32`); host bits are kept, as netaddr's
 * str(IPNetwork) keeps them (normalizedCidr clears them); IPv6 in compact form.
 */
export function convertIpPrefix(value: unknown): string | null {
  if (value === null || value === undefined || value === '' || value === false || value === 0) return null;
  const parsed = typeof value === 'string' ? parsePrefix(value.trim()) : undefined;
  if (!parsed) throw new InvalidCidrPrefix(pyStr(value));
  return `${parsed.address}/${parsed.prefix}`;
}

/** The IP version of a prefix convertIpPrefix returned. */
export function prefixVersion(prefix: string): 4 | 6 {
  return prefix.includes(':') ? 6 : 4;
}

/** `10.0.0.5/24` -> `10.0.0.0/24` (the normalized_cidr of a rule). */
export function normalizedCidr(prefix: string): string {
  const [address = '', length = ''] = prefix.split('/');
  if (prefixVersion(prefix) === 6) {
    const network = ipaddr.IPv6.networkAddressFromCIDR(`${address}/${length}`);
    const text = network.isIPv4MappedAddress() ? `::ffff:${network.toIPv4Address().toString()}` : network.toRFC5952String();
    return `${text}/${length}`;
  }
  return `${ipaddr.IPv4.networkAddressFromCIDR(`${address}/${length}`).toString()}/${length}`;
}

/** _get_ip_proto_number: the protocol number of a (converted) protocol, undefined for any. */
export function protocolNumber(protocol: string | null): number | undefined {
  if (protocol === null) return undefined;
  const name = protocol === 'icmpv6' ? 'ipv6-icmp' : protocol;
  return IP_PROTOCOL_MAP.get(name) ?? Number(name);
}

/**
 * The checks every rule passes before it is stored, in upstream's order,
 * returning the rule as it is stored: IPv6 ICMP under its IPv6 name, the
 * whole port range 1-65535 as no range.
 */
export function checkRule<R extends RuleAttributes>(input: R): R {
  let rule: R = input;
  // _make_canonical_ipv6_icmp_protocol
  if (rule.ethertype === 'IPv6' && rule.protocol !== null) {
    if (IPV6_ICMP_LEGACY.has(rule.protocol)) rule = { ...rule, protocol: 'ipv6-icmp' };
    else if (rule.protocol === '1') rule = { ...rule, protocol: '58' };
  }
  // _make_canonical_port_range
  if (rule.port_range_min === 1 && rule.port_range_max === 65535) rule = { ...rule, port_range_min: null, port_range_max: null };
  checkPortRange(rule);
  // _validate_ip_prefix
  if (rule.remote_ip_prefix !== null && `IPv${prefixVersion(rule.remote_ip_prefix)}` !== rule.ethertype) {
    throw new SecurityGroupRuleParameterConflict(rule.ethertype, rule.remote_ip_prefix);
  }
  // _validate_ethertype_and_protocol
  if (rule.protocol !== null && IPV6_ONLY_PROTOCOLS.has(rule.protocol) && rule.ethertype === 'IPv4') {
    throw new SecurityGroupEthertypeConflictWithProtocol(rule.ethertype, rule.protocol);
  }
  // _validate_multiple_remote_entites
  const remotes = [rule.remote_ip_prefix, rule.remote_group_id, rule.remote_address_group_id].filter((r) => r !== null && r !== '');
  if (remotes.length > 1) throw new SecurityGroupMultipleRemoteEntites();
  return rule;
}

/** _validate_port_range */
function checkPortRange(rule: RuleAttributes): void {
  const { port_range_min: min, port_range_max: max } = rule;
  if (min === null && max === null) return;
  if (rule.protocol === null) throw new SecurityGroupProtocolRequiredWithPorts();
  const number = protocolNumber(rule.protocol);
  if (number !== undefined && PORT_PROTOCOLS.has(number)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue('0');
    if (min === null || max === null || min > max) throw new SecurityGroupInvalidPortRange();
  } else if (number !== undefined && ICMP_PROTOCOLS.has(number)) {
    if (min !== null && (min < 0 || min > 255)) throw new SecurityGroupInvalidIcmpValue('type', 'port_range_min', min);
    if (max !== null && (max < 0 || max > 255)) throw new SecurityGroupInvalidIcmpValue('code', 'port_range_max', max);
    if (min === null && max !== null) throw new SecurityGroupMissingIcmpType(max);
  } else {
    throw new SecurityGroupInvalidProtocolForPort(String(number), PORT_PROTOCOL_NAMES);
  }
}

/** _get_ip_proto_name_and_num: a protocol as [name, number], so `tcp` and `6` compare equal. */
function protocolNameAndNumber(protocol: string, ethertype: Ethertype): [string, string] {
  let p = protocol;
  if (ethertype === 'IPv6') {
    if (IPV6_ICMP_LEGACY.has(p)) p = 'ipv6-icmp';
    else if (p === '1') p = '58';
  }
  const number = IP_PROTOCOL_MAP.get(p);
  if (number !== undefined) return [p, String(number)];
  const name = PROTOCOL_NUMBER_TO_NAME.get(p);
  if (name !== undefined) return [name, p];
  return [p, p];
}

/**
 * _rule_to_key: two rules with the same key are the same rule. Any-address
 * prefixes (0.0.0.0/0, ::/0) count as no prefix; protocols compare by
 * name and number.
 */
export function ruleKey(rule: RuleAttributes): string {
  const anyAddress = (prefix: string | null) => prefix === null || prefix === '0.0.0.0/0' || prefix === '::/0';
  return JSON.stringify([
    rule.direction,
    rule.ethertype,
    rule.port_range_max,
    rule.port_range_min,
    rule.protocol === null ? null : protocolNameAndNumber(rule.protocol, rule.ethertype),
    rule.remote_group_id,
    rule.remote_address_group_id,
    anyAddress(rule.remote_ip_prefix) ? null : rule.remote_ip_prefix,
    rule.security_group_id,
  ]);
}

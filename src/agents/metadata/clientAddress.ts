/**
 * Who is asking, from the X-Forwarded-For header haproxy adds. It is the
 * only thing the agent knows about the VM, and the VM may send its own
 * X-Forwarded-For: haproxy then adds its header after the VM's, so Node
 * joins them as "spoofed, real". The LAST entry is haproxy's and is the
 * one trusted.
 */
import ipaddr from 'ipaddr.js';

export interface ClientAddress {
  /** The address to look up in the ports' fixed_ips (an IPv4-mapped IPv6 address as plain IPv4). */
  readonly ip: string;
  /**
   * For an IPv6 link-local source: the MAC its EUI-64 interface id encodes.
   * Such an address is no fixed IP of the port, so the port is found by MAC.
   */
  readonly mac?: string;
}

/** The MAC an EUI-64 interface identifier was made from: drop ff:fe, flip the universal/local bit. */
function macOfEui64(address: ipaddr.IPv6): string | undefined {
  const bytes = address.toByteArray().slice(8);
  if (bytes[3] !== 0xff || bytes[4] !== 0xfe) return undefined;
  const mac = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, bytes[5]!, bytes[6]!, bytes[7]!];
  return mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** undefined when the header is missing or its last entry is not an IP address. */
export function clientAddressOf(forwardedFor: string | undefined): ClientAddress | undefined {
  const last = forwardedFor?.split(',').at(-1)?.trim();
  if (last === undefined || !ipaddr.isValid(last)) return undefined;
  const parsed = ipaddr.parse(last);
  if (parsed.kind() === 'ipv4') return { ip: parsed.toString() };
  const v6 = parsed as ipaddr.IPv6;
  // haproxy listening on v4 and v6 reports v4 clients as ::ffff:a.b.c.d
  if (v6.isIPv4MappedAddress()) return { ip: v6.toIPv4Address().toString() };
  const mac = v6.range() === 'linkLocal' ? macOfEui64(v6) : undefined;
  return mac === undefined ? { ip: v6.toString() } : { ip: v6.toString(), mac };
}

/** IP protocol names as Neutron accepts them in security group rules, shared by the API's checks and the agents' firewall. */

/** neutron-lib's IP_PROTOCOL_MAP, in its order (the API's error message lists it so). */
export const IP_PROTOCOL_MAP: ReadonlyMap<string, number> = new Map([
  ['ah', 51],
  ['dccp', 33],
  ['egp', 8],
  ['esp', 50],
  ['gre', 47],
  ['hopopt', 0],
  ['icmp', 1],
  ['igmp', 2],
  ['ip', 0],
  ['ipip', 4],
  ['ipv6-encap', 41],
  ['ipv6-frag', 44],
  ['ipv6-icmp', 58],
  ['icmpv6', 58],
  ['ipv6-nonxt', 59],
  ['ipv6-opts', 60],
  ['ipv6-route', 43],
  ['ospf', 89],
  ['pgm', 113],
  ['rsvp', 46],
  ['sctp', 132],
  ['tcp', 6],
  ['udp', 17],
  ['udplite', 136],
  ['vrrp', 112],
]);

/** Protocols that have ports (neutron-lib's SG_PORT_PROTO_NUMS): dccp, sctp, tcp, udp, udplite. */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([33, 132, 6, 17, 136]);

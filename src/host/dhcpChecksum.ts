/**
 * The iptables rule Neutron's DeviceManager.fill_dhcp_udp_checksums adds in
 * each qdhcp namespace: DHCP replies leave with a computed UDP checksum
 * (with checksum offload on a veth some clients drop them otherwise).
 */
import { execInNamespace } from './ip.js';

const RULE = ['POSTROUTING', '-p', 'udp', '-m', 'udp', '--dport', '68', '-j', 'CHECKSUM', '--checksum-fill'];

/**
 * Adds the rule once; 'unavailable' when iptables (or its CHECKSUM target)
 * is missing here, which shows as both commands failing.
 */
export async function ensureDhcpChecksumFill(netns: string): Promise<'added' | 'present' | 'unavailable'> {
  try {
    await execInNamespace(netns, 'iptables', ['-w', '-t', 'mangle', '-C', ...RULE]);
    return 'present';
  } catch {
    // -C fails when the rule is absent: add it below.
  }
  try {
    await execInNamespace(netns, 'iptables', ['-w', '-t', 'mangle', '-A', ...RULE]);
    return 'added';
  } catch {
    return 'unavailable';
  }
}

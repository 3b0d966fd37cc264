/**
 * dnsmasq's command line for one network: Neutron's current argument set
 * (Dnsmasq._build_cmdline_callback in neutron/agent/linux/dhcp.py) for a
 * bridged interface driver. Whatever is on the command line needs a restart
 * to change (a new subnet, the MTU, the lease time); hosts and options are in
 * files that a SIGHUP re-reads.
 */
import { join } from 'node:path';

import { cidrParts, subnetTag } from './dnsmasqFiles.js';
import type { DhcpNetwork } from './model.js';

export interface DnsmasqCommandSettings {
  /** dhcp_lease_duration; -1 is infinite. */
  readonly leaseDuration: number;
  readonly dnsServers: readonly string[];
  readonly localResolv: boolean;
  readonly leaseMax: number;
  /** '' means /dev/null. */
  readonly configFile: string;
  readonly dnsDomain: string;
  readonly broadcastReply: boolean;
  readonly baseLogDir?: string;
}

/** The files of one network in <dhcp_confs>/<network id>/. */
export interface NetworkFiles {
  readonly dir: string;
  readonly host: string;
  readonly addnHosts: string;
  readonly opts: string;
  readonly leases: string;
  readonly pid: string;
}

export function networkFiles(dhcpConfs: string, networkId: string): NetworkFiles {
  const dir = join(dhcpConfs, networkId);
  return {
    dir,
    host: join(dir, 'host'),
    addnHosts: join(dir, 'addn_hosts'),
    opts: join(dir, 'opts'),
    leases: join(dir, 'leases'),
    pid: join(dir, 'pid'),
  };
}

/** The log file dnsmasq writes when dnsmasq_base_log_dir is set. */
export const dnsmasqLogFile = (baseLogDir: string, networkId: string): string => join(baseLogDir, networkId, 'dhcp_dns_log');

/** The arguments after `dnsmasq`. */
export function dnsmasqArgs(settings: DnsmasqCommandSettings, network: DhcpNetwork, files: NetworkFiles): string[] {
  const args = [
    '--no-hosts',
    ...(settings.dnsServers.length > 0 || !settings.localResolv ? ['--no-resolv'] : []),
    `--pid-file=${files.pid}`,
    `--dhcp-hostsfile=${files.host}`,
    `--addn-hosts=${files.addnHosts}`,
    `--dhcp-optsfile=${files.opts}`,
    `--dhcp-leasefile=${files.leases}`,
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--local-service',
    '--bind-dynamic',
  ];
  const lease = settings.leaseDuration === -1 ? 'infinite' : `${settings.leaseDuration}s`;
  let possibleLeases = 0;
  for (const subnet of network.subnets) {
    if (!subnet.enable_dhcp) continue;
    const v6ModesUnset = subnet.ipv6_address_mode === null && subnet.ipv6_ra_mode === null;
    const served = subnet.ip_version === 4 || v6ModesUnset || ['dhcpv6-stateful', 'dhcpv6-stateless'].includes(subnet.ipv6_address_mode ?? '');
    if (!served) continue;
    const cidr = cidrParts(subnet.cidr);
    if (subnet.ip_version === 4) {
      args.push(`--dhcp-range=set:${subnetTag(subnet.id)},${cidr.network},static,${cidr.netmask},${lease}`);
    } else {
      if (cidr.prefixLength < 64) continue; // dnsmasq cannot serve it
      args.push(`--dhcp-range=set:${subnetTag(subnet.id)},${cidr.network},static,${cidr.prefixLength},${lease}`);
    }
    possibleLeases += cidr.size;
  }
  if (network.mtu > 0) args.push(`--dhcp-option-force=option:mtu,${network.mtu}`);
  args.push(`--dhcp-lease-max=${Math.min(possibleLeases, settings.leaseMax)}`);
  args.push(`--conf-file=${settings.configFile.trim() || '/dev/null'}`);
  for (const server of settings.dnsServers) args.push(`--server=${server}`);
  if (settings.dnsDomain) args.push(`--domain=${settings.dnsDomain}`);
  if (settings.broadcastReply) args.push('--dhcp-broadcast');
  if (settings.baseLogDir) args.push('--log-queries', '--log-dhcp', `--log-facility=${dnsmasqLogFile(settings.baseLogDir, network.id)}`);
  return args;
}

/**
 * dns_assignment of a port (dns-integration): one host name per fixed IP.
 * The port's dns_name is only honoured when a real DNS domain is configured;
 * with Neutron's placeholder `openstacklocal` every address gets
 * `host-<address with . and : as ->`.
 */
const PLACEHOLDER_DOMAIN = 'openstacklocal';

export interface DnsAssignment {
  ip_address: string;
  hostname: string;
  fqdn: string;
}

export function dnsAssignment(
  dnsName: string,
  ips: readonly { ip_address: string }[],
  dnsDomain: string,
): readonly DnsAssignment[] {
  const domain = dnsDomain.replace(/\.$/, '');
  const useName = dnsName !== '' && domain !== PLACEHOLDER_DOMAIN;
  return ips.map(({ ip_address }) => {
    const hostname = useName ? dnsName : `host-${ip_address.replace(/[.:]/g, '-')}`;
    return { ip_address, hostname, fqdn: `${hostname}.${domain}.` };
  });
}

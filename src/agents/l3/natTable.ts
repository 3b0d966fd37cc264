/**
 * The router's NAT (and the metadata proxy's guard) as one nftables table in
 * its namespace, rendered exactly as `nft list table` prints it, so the agent
 * can tell "already in place" from the text alone and replaces the table
 * only when something differs (a restarted agent leaves working NAT alone).
 *
 * The rules are Neutron's legacy router rules (router_info.py:
 * floating_forward_rules, external_gateway_nat_fip_rules,
 * external_gateway_nat_snat_rules; the metadata driver's REDIRECT and INPUT
 * rules) in nftables form:
 *
 *   prerouting   metadata: 169.254.169.254:80 arriving on a qr- device -> the proxy's port
 *                per floating IP: daddr fip -> dnat to the fixed address
 *   output       the same DNAT for connections the router itself opens to a floating IP
 *   postrouting  traffic between internal networks that was not DNATed leaves as it is;
 *                per floating IP: saddr fixed -> snat to the fip (before the general SNAT);
 *                DNATed traffic that did not come in through the gateway (a VM reaching another's
 *                floating IP) -> snat to the gateway address, so replies come back through the router;
 *                with enable_snat: everything else leaving through the gateway -> snat to its address
 *   input        the proxy's port only for redirected connections (Neutron marks them instead)
 *
 * Traffic that does not leave through the gateway is not SNATed by the general
 * rule, so internal networks route to each other with their own addresses.
 */
import type { NftTableRef } from '../../host/nftables.js';
import { gatewayIpv4, type Router } from './model.js';
import { externalDeviceName, INTERNAL_DEVICE_PREFIX } from './names.js';

export const NAT_TABLE: NftTableRef = { family: 'ip', name: 'neutron-l3-agent' };

export const METADATA_IP = '169.254.169.254';

export interface NatSettings {
  /** The metadata proxy's port in the namespace, when the agent runs one (enable_metadata_proxy). */
  readonly metadataPort?: number;
}

interface Chain {
  readonly name: string;
  readonly header: string;
  readonly rules: readonly string[];
}

function render(chains: readonly Chain[]): string {
  const blocks = chains.map((chain) => [`\tchain ${chain.name} {`, `\t\t${chain.header}`, ...chain.rules.map((rule) => `\t\t${rule}`), '\t}'].join('\n'));
  return `table ${NAT_TABLE.family} ${NAT_TABLE.name} {\n${blocks.join('\n\n')}\n}\n`;
}

/** The table this router needs, in `nft list table`'s own words. */
export function renderNatTable(settings: NatSettings, router: Router): string {
  const prerouting: string[] = [];
  const output: string[] = [];
  const postrouting: string[] = [];
  const input: string[] = [];

  if (settings.metadataPort !== undefined) {
    prerouting.push(`iifname "${INTERNAL_DEVICE_PREFIX}*" ip daddr ${METADATA_IP} tcp dport 80 redirect to :${settings.metadataPort}`);
    input.push(`tcp dport ${settings.metadataPort} ct status dnat accept`, `tcp dport ${settings.metadataPort} drop`);
  }

  const gatewayAddress = gatewayIpv4(router);
  if (router.gateway && gatewayAddress !== undefined) {
    const qg = externalDeviceName(router.gateway.id);
    for (const fip of router.floatingIps) {
      prerouting.push(`ip daddr ${fip.floatingAddress} dnat to ${fip.fixedAddress}`);
      output.push(`ip daddr ${fip.floatingAddress} dnat to ${fip.fixedAddress}`);
    }
    postrouting.push(`iifname != "${qg}" oifname != "${qg}" ct status ! dnat accept`);
    for (const fip of router.floatingIps) postrouting.push(`ip saddr ${fip.fixedAddress} snat to ${fip.floatingAddress}`);
    postrouting.push(`iifname != "${qg}" ct status dnat snat to ${gatewayAddress}`);
    if (router.enableSnat) postrouting.push(`oifname "${qg}" snat to ${gatewayAddress}`);
  }

  const chains: Chain[] = [
    { name: 'prerouting', header: 'type nat hook prerouting priority dstnat; policy accept;', rules: prerouting },
    { name: 'output', header: 'type nat hook output priority -100; policy accept;', rules: output },
    { name: 'postrouting', header: 'type nat hook postrouting priority srcnat; policy accept;', rules: postrouting },
  ];
  if (settings.metadataPort !== undefined) chains.push({ name: 'input', header: 'type filter hook input priority filter; policy accept;', rules: input });
  return render(chains);
}

/** floating address -> fixed address, as the DNAT rules of a listed table say. */
export function floatingMappings(table: string | undefined): Map<string, string> {
  const mappings = new Map<string, string>();
  for (const match of (table ?? '').matchAll(/^\s*ip daddr (\S+) dnat to (\S+)\s*$/gm)) mappings.set(match[1]!, match[2]!);
  return mappings;
}

/** Whether the listed table is the rendered one: nft's text is canonical, so whitespace at the end is all that may differ. */
export const sameTable = (listed: string | undefined, rendered: string): boolean => listed !== undefined && listed.trimEnd() === rendered.trimEnd();

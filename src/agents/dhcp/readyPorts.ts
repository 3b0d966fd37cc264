/**
 * Which ports to report with dhcp_ready_on_ports: Neutron's server holds a
 * new port (or one whose MAC or addresses changed) in BUILD until the DHCP
 * agent says its dnsmasq serves it (a provisioning block), so, as Neutron's
 * agent does, every port of a network is reported once it is configured,
 * and again after such a change. Nucleon's server accepts the call and has
 * no block to clear.
 */
import type { DhcpNetwork } from './model.js';

/** Neutron's agent sends them in batches of this size. */
export const READY_BATCH = 64;

export class ReadyPorts {
  /** Reported (or to report) ports by id, with what they were served as. */
  private readonly served = new Map<string, string>();
  private readonly pending = new Set<string>();

  /** After `network` was configured: its ports that are new or changed are to be reported. */
  configured(network: DhcpNetwork, ownPortId: string): void {
    for (const port of network.ports) {
      if (port.id === ownPortId) continue;
      const fingerprint = `${port.mac_address} ${port.fixed_ips.map((ip) => ip.ip_address).join(' ')}`;
      if (this.served.get(port.id) === fingerprint) continue;
      this.served.set(port.id, fingerprint);
      this.pending.add(port.id);
    }
  }

  /** Forgets ports that no network served here has any more. */
  keepOnly(networks: readonly DhcpNetwork[]): void {
    const present = new Set(networks.flatMap((network) => network.ports.map((port) => port.id)));
    for (const id of this.served.keys()) if (!present.has(id)) this.served.delete(id);
    for (const id of this.pending) if (!present.has(id)) this.pending.delete(id);
  }

  /** Sends the pending ports in batches; a batch that fails stays pending for the next pass. */
  async report(send: (portIds: string[]) => Promise<void>): Promise<void> {
    const ids = [...this.pending];
    for (let i = 0; i < ids.length; i += READY_BATCH) {
      const batch = ids.slice(i, i + READY_BATCH);
      await send(batch);
      for (const id of batch) this.pending.delete(id);
    }
  }
}

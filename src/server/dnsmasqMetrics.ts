/**
 * The DHCP agent's dnsmasq starts, restarts and reloads (the counters its
 * plan applier keeps, agents/dhcp/applyPlan.ts) as one Prometheus counter:
 *
 *   nucleon_dhcp_dnsmasq_total{event="start|restart|reload"}
 *
 * A reload is a SIGHUP after the hosts or options files changed; a restart
 * means dnsmasq had to be started again (killed, or its arguments changed).
 */
import { Counter, type Registry } from 'prom-client';

import type { DnsmasqCounters } from '../agents/dhcp/applyPlan.js';

export function registerDnsmasqMetrics(counters: Readonly<DnsmasqCounters>, registry: Registry): void {
  new Counter({
    name: 'nucleon_dhcp_dnsmasq_total',
    help: "The DHCP agent's dnsmasq processes started, restarted, and reloaded (SIGHUP after their files changed).",
    labelNames: ['event'],
    registers: [registry],
    collect() {
      // The agent keeps the counts; each scrape reads them.
      this.reset();
      this.inc({ event: 'start' }, counters.starts);
      this.inc({ event: 'restart' }, counters.restarts);
      this.inc({ event: 'reload' }, counters.reloads);
    },
  });
}

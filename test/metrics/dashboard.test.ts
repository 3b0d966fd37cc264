/** etc/grafana/nucleon.json is valid JSON and every metric its panels ask for is one the server or an agent exports. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';

import { ReconcilerMetrics } from '../../src/agents/common/reconcilerMetrics.js';
import { newRegistry } from '../../src/common/metrics.js';
import { registerDnsmasqMetrics } from '../../src/server/dnsmasqMetrics.js';
import { ServerMetrics } from '../../src/server/serverMetrics.js';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

it('the sample Grafana dashboard asks only for metrics that exist', async () => {
  const dashboard = JSON.parse(readFileSync('etc/grafana/nucleon.json', 'utf8')) as { panels: Panel[]; uid: string };
  assert.equal(dashboard.uid, 'nucleon-overview');

  const server = new ServerMetrics({ processMetrics: true });
  // The scrape-time gauges need a database; their names are enough here.
  const exported = new Set(['nucleon_agents', 'nucleon_ports']);
  const agents = newRegistry({ processMetrics: false });
  new ReconcilerMetrics().register(agents);
  registerDnsmasqMetrics({ starts: 0, restarts: 0, reloads: 0 }, agents);
  for (const registry of [server.registry, agents]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      exported.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${metric.name}${suffix}`);
    }
  }

  const graphs = dashboard.panels.filter((p) => p.type !== 'row');
  assert.ok(graphs.length >= 20);
  for (const panel of graphs) {
    assert.ok((panel.targets ?? []).length > 0, panel.title);
    for (const { expr } of panel.targets ?? []) {
      const names = expr.match(/\b(nucleon|process|nodejs)_[a-z0-9_]+/g) ?? [];
      assert.ok(names.length > 0, `${panel.title}: ${expr}`);
      for (const name of names) assert.ok(exported.has(name), `${panel.title}: ${name} is not exported`);
    }
  }
});

/**
 * An agent's /metrics: the shared reconciler's counters (passes by trigger
 * and outcome, plan sizes, apply times, drift repairs) served by the
 * listener [agent] metrics_listen starts, and the "cannot reach the server"
 * log said once and then at intervals. Unit level: no namespaces, no broker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import { Reconciler, type PassReport } from '../../src/agents/common/reconciler.js';
import { ReconcilerMetrics } from '../../src/agents/common/reconcilerMetrics.js';
import { UnreachableLog } from '../../src/agents/common/unreachableLog.js';
import { metricsSource, newRegistry } from '../../src/common/metrics.js';
import { RpcTimeout } from '../../src/rpc/errors.js';
import { MemoryBroker, MemoryBus } from '../../src/rpc/memoryTransport.js';
import { MeteredBus } from '../../src/server/meteredBus.js';
import { RpcMetrics } from '../../src/server/rpcMetrics.js';
import { registerDnsmasqMetrics } from '../../src/server/dnsmasqMetrics.js';
import { parseListenAddress, startMetricsListener } from '../../src/server/metricsListener.js';

const log = pino({ level: 'silent' });

/** The value of one sample line, e.g. `nucleon_agent_passes_total{reconciler="x",trigger="sync",outcome="ok"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('agent metrics', () => {
  it('serves the reconciler passes, plan sizes, apply times and drift repairs at /metrics', async () => {
    const metrics = new ReconcilerMetrics();
    const registry = newRegistry({ processMetrics: true });
    metrics.register(registry);
    const listener = await startMetricsListener({ host: '127.0.0.1', port: 0 }, metricsSource(registry), log);
    let next: () => Promise<void | PassReport> = async () => ({ planSteps: 3, applyMs: 40 });
    const reconciler = new Reconciler({ name: 'test-agent', intervalMs: 0, log, metrics, pass: () => next() });
    try {
      await reconciler.sync();
      next = async () => ({ planSteps: 0 });
      await reconciler.sync();
      next = async () => {
        throw new Error('ip: RTNETLINK answers: Operation not permitted');
      };
      await reconciler.sync();

      const response = await fetch(listener.url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await response.text();
      const r = { reconciler: 'test-agent' };
      assert.equal(sample(text, 'nucleon_agent_passes_total', { ...r, trigger: 'sync', outcome: 'ok' }), 2);
      assert.equal(sample(text, 'nucleon_agent_passes_total', { ...r, trigger: 'sync', outcome: 'error' }), 1);
      assert.equal(sample(text, 'nucleon_agent_plan_steps_count', r), 2);
      assert.equal(sample(text, 'nucleon_agent_plan_steps_sum', r), 3);
      assert.equal(sample(text, 'nucleon_agent_apply_duration_seconds_count', r), 1);
      assert.equal(sample(text, 'nucleon_agent_apply_duration_seconds_sum', r), 0.04);
      assert.equal(sample(text, 'nucleon_agent_pass_duration_seconds_count', r), 3);
      // Process metrics come with it.
      assert.ok(sample(text, 'process_cpu_user_seconds_total') !== undefined);
      assert.equal((await fetch(listener.url.replace('/metrics', '/other'))).status, 404);
    } finally {
      await reconciler.stop();
      await listener.close();
    }
  });

  it('counts a periodic pass that changed something as a drift repair, not a kicked one', async () => {
    const metrics = new ReconcilerMetrics();
    const registry = newRegistry({ processMetrics: false });
    metrics.register(registry);
    let passes = 0;
    const reconciler = new Reconciler({
      name: 'drift',
      intervalMs: 30,
      log,
      metrics,
      pass: async () => {
        passes++;
        return { planSteps: 2, applyMs: 1 };
      },
    });
    reconciler.start();
    try {
      while (passes < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      await reconciler.stop();
    }
    const text = await registry.metrics();
    assert.equal(sample(text, 'nucleon_agent_passes_total', { reconciler: 'drift', trigger: 'start' }), 1);
    const periodic = sample(text, 'nucleon_agent_passes_total', { reconciler: 'drift', trigger: 'periodic' }) ?? 0;
    assert.ok(periodic >= 2, text);
    assert.equal(sample(text, 'nucleon_agent_drift_repairs_total', { reconciler: 'drift' }), periodic);
  });

  it('says once that the server cannot be reached, then once per interval with a count, then that it is back', async () => {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const capture = {
      warn: (fields: object, msg: string) => lines.push({ level: 'warn', msg, fields: fields as Record<string, unknown> }),
      info: (fields: object, msg: string) => lines.push({ level: 'info', msg, fields: fields as Record<string, unknown> }),
    } as unknown as pino.Logger;
    let now = 0;
    let counted = 0;
    const unreachable = new UnreachableLog(capture, 'state reports', () => counted++, 60_000, () => now);
    const timeout = new RpcTimeout('q-reports-plugin', 'report_state', 30_000);
    for (let i = 0; i < 30; i++) {
      unreachable.failed(timeout);
      now += 5_000; // a report every 5 s: 150 s of failures
    }
    unreachable.succeeded();
    assert.equal(counted, 30);
    assert.deepEqual(
      lines.map((l) => l.level),
      ['warn', 'warn', 'warn', 'info'],
    );
    assert.match(lines[0]!.msg, /^cannot reach the server \(state reports\): Timed out .*report_state/);
    assert.match(lines[1]!.msg, /^still cannot reach the server \(state reports\): 12 more failed attempts, 13 in 60 s/);
    assert.equal(lines[2]!.fields['failures'], 25);
    assert.match(lines[3]!.msg, /^reached the server again \(state reports\) after 30 failed attempts in 150 s/);
  });

  it('logs a reconciler pass that times out on RPC once, not once per pass', async () => {
    const messages: string[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void messages.push(String(JSON.parse(line).msg)) });
    const metrics = new ReconcilerMetrics();
    const reconciler = new Reconciler({
      name: 'dhcp-agent',
      intervalMs: 0,
      log: capture,
      metrics,
      pass: async () => {
        throw new RpcTimeout('q-plugin', 'get_active_networks_info', 60_000);
      },
    });
    for (let i = 0; i < 5; i++) await reconciler.sync();
    await reconciler.stop();
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /^cannot reach the server \(dhcp-agent pass\)/);
    const registry = newRegistry({ processMetrics: false });
    metrics.register(registry);
    assert.equal(sample(await registry.metrics(), 'nucleon_agent_server_unreachable_total', { source: 'dhcp-agent pass' }), 5);
  });

  it("serves the DHCP agent's dnsmasq starts, restarts and reloads as they are counted", async () => {
    const counters = { starts: 0, restarts: 0, reloads: 0 };
    const registry = newRegistry({ processMetrics: false });
    registerDnsmasqMetrics(counters, registry);
    counters.starts += 2;
    counters.reloads += 5;
    let text = await registry.metrics();
    assert.equal(sample(text, 'nucleon_dhcp_dnsmasq_total', { event: 'start' }), 2);
    assert.equal(sample(text, 'nucleon_dhcp_dnsmasq_total', { event: 'reload' }), 5);
    assert.equal(sample(text, 'nucleon_dhcp_dnsmasq_total', { event: 'restart' }), 0);
    counters.reloads++;
    text = await registry.metrics();
    assert.equal(sample(text, 'nucleon_dhcp_dnsmasq_total', { event: 'reload' }), 6);
  });

  it("times an agent's RPC calls by method and outcome, and the server's handlers", async () => {
    const registry = newRegistry({ processMetrics: false });
    const metrics = new RpcMetrics(registry);
    const broker = new MemoryBroker();
    const server = new MeteredBus(new MemoryBus(broker, log, {}), metrics);
    const agent = new MeteredBus(new MemoryBus(broker, log, {}), metrics);
    const handle = await server.serve('q-plugin', {}, { get_active_networks_info: async () => [] });
    try {
      await agent.call('q-plugin', 'get_active_networks_info', {});
      await assert.rejects(agent.call('q-nobody', 'report_state', {}, { timeoutMs: 20 }), RpcTimeout);
      const text = await registry.metrics();
      assert.equal(sample(text, 'nucleon_rpc_call_duration_seconds_count', { method: 'get_active_networks_info', outcome: 'ok' }), 1);
      assert.equal(sample(text, 'nucleon_rpc_call_duration_seconds_count', { method: 'report_state', outcome: 'timeout' }), 1);
      assert.equal(sample(text, 'nucleon_rpc_handler_duration_seconds_count', { method: 'get_active_networks_info', outcome: 'ok' }), 1);
    } finally {
      await handle.stop();
      await agent.close();
      await server.close();
    }
  });

  it('reads [agent] metrics_listen as host:port', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9697'), { host: '127.0.0.1', port: 9697 });
    assert.deepEqual(parseListenAddress('[::1]:9697'), { host: '::1', port: 9697 });
    assert.deepEqual(parseListenAddress(':9697'), { host: '0.0.0.0', port: 9697 });
    for (const bad of ['9697', 'host:', 'host:99999', 'a b:1']) assert.ok('reason' in parseListenAddress(bad), bad);
  });
});

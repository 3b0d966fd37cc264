import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { neutronOptionGroups } from '../../src/config/neutronOptions.js';
import { rpcOptions } from '../../src/config/rpcOptions.js';
import { busOptionsFromConfig, openBus } from '../../src/rpc/connect.js';
import { InvalidTransportUrl } from '../../src/rpc/errors.js';
import { MemoryBroker, MemoryBus } from '../../src/rpc/memoryTransport.js';
import { recordingLogger } from './helpers.js';

const groups = [...neutronOptionGroups, rpcOptions] as const;

describe('busOptionsFromConfig', () => {
  it("oslo's defaults, in milliseconds", () => {
    const { config, warnings } = loadConfig({ files: [], groups });
    assert.deepEqual(warnings, []);
    assert.deepEqual(busOptionsFromConfig(config), {
      defaultTimeoutMs: 60_000,
      controlExchange: 'neutron',
      heartbeatTimeoutSeconds: 60,
      durableQueues: false,
      quorumQueues: false,
      haQueues: false,
      retryIntervalMs: 1_000,
      retryBackoffMs: 2_000,
      intervalMaxMs: 30_000,
      prefetchCount: 0,
      transientQueueTtlMs: 1_800_000,
      failoverStrategy: 'round-robin',
    });
  });

  it('reads neutron.conf', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nucleon-rpc-')), 'neutron.conf');
    writeFileSync(
      file,
      [
        '[DEFAULT]',
        'transport_url = rabbit://openstack:RABBIT_PASS@controller',
        'rpc_response_timeout = 30',
        'control_exchange = openstack',
        '[oslo_messaging_rabbit]',
        'heartbeat_timeout_threshold = 0',
        'rabbit_retry_interval = 2',
        'rabbit_retry_backoff = 4',
        'rabbit_interval_max = 60',
        'rabbit_qos_prefetch_count = 64',
        'kombu_failover_strategy = shuffle',
        'heartbeat_rate = 2',
        'rabbit_quorum_queue = true',
        '',
      ].join('\n'),
    );
    const { config, warnings } = loadConfig({ files: [file], groups });
    assert.deepEqual(warnings, []);
    const options = busOptionsFromConfig(config);
    assert.equal(options.defaultTimeoutMs, 30_000);
    assert.equal(options.controlExchange, 'openstack');
    assert.equal(options.heartbeatTimeoutSeconds, 0);
    assert.equal(options.retryIntervalMs, 2_000);
    assert.equal(options.retryBackoffMs, 4_000);
    assert.equal(options.intervalMaxMs, 60_000);
    assert.equal(options.prefetchCount, 64);
    assert.equal(options.failoverStrategy, 'shuffle');
    assert.equal(options.quorumQueues, true);
    assert.equal(options.haQueues, false);
  });
});

describe('openBus', () => {
  it('openBus(undefined) and openBus("memory://") give an in-process bus, always connected', async () => {
    const log = recordingLogger();
    for (const url of [undefined, '', 'memory://']) {
      const bus = await openBus(url, {}, log);
      assert.ok(bus instanceof MemoryBus);
      assert.equal(bus.transport, 'memory');
      assert.equal(bus.state, 'connected');
      await bus.close();
    }
  });

  it('in-process buses opened on one memoryBroker talk to each other', async () => {
    const log = recordingLogger();
    const memoryBroker = new MemoryBroker();
    const server = await openBus('memory://', { memoryBroker }, log);
    const agent = await openBus(undefined, { memoryBroker }, log);
    await server.serve('q-reports-plugin', {}, { report_state: async () => 'alive' });
    assert.equal(await agent.call('q-reports-plugin', 'report_state', {}, { timeoutMs: 1_000 }), 'alive');
    await Promise.all([server.close(), agent.close()]);
  });

  it('refuses a bad transport_url before connecting', async () => {
    await assert.rejects(openBus('rabbit://u:pw@host:99999/', {}, recordingLogger()), InvalidTransportUrl);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bus } from '../../src/rpc/bus.js';
import { MemoryBroker, MemoryBus } from '../../src/rpc/memoryTransport.js';
import { busContract } from './busContract.js';
import { recordingLogger, sleep } from './helpers.js';

busContract('in-process', async () => {
  const broker = new MemoryBroker();
  const log = recordingLogger();
  const opened: Bus[] = [];
  const open = (): Promise<Bus> => {
    const bus = new MemoryBus(broker, log);
    opened.push(bus);
    return Promise.resolve(bus);
  };
  const [server, agent, agent2] = [await open(), await open(), await open()];
  return {
    server,
    agent,
    agent2,
    open,
    close: async () => {
      await Promise.all(opened.map((bus) => bus.close()));
    },
  };
});

describe('in-process bus specifics', () => {
  it('one bus serves and calls itself (the all-in-one mode)', async () => {
    const bus = new MemoryBus(new MemoryBroker(), recordingLogger());
    await bus.serve('q-reports-plugin', {}, { report_state: async () => 'alive' });
    assert.equal(await bus.call('q-reports-plugin', 'report_state', { agent_state: { agent_state: {} } }, { timeoutMs: 1_000 }), 'alive');
    await bus.close();
  });

  it('buses on different brokers do not see each other', async () => {
    const a = new MemoryBus(new MemoryBroker(), recordingLogger());
    const b = new MemoryBus(new MemoryBroker(), recordingLogger());
    await a.serve('q-plugin', {}, { m: async () => 1 });
    await assert.rejects(b.call('q-plugin', 'm', {}, { timeoutMs: 50 }), { name: 'RpcTimeout' });
    await a.close();
    await b.close();
  });

  it('a call request expires with its timeout: a consumer arriving later does not run it', async () => {
    const broker = new MemoryBroker();
    const caller = new MemoryBus(broker, recordingLogger());
    const server = new MemoryBus(broker, recordingLogger());
    await assert.rejects(caller.call('q-late', 'm', {}, { timeoutMs: 30 }), { name: 'RpcTimeout' });
    assert.equal(broker.depth('q-late'), 1);
    let ran = false;
    await server.serve('q-late', {}, { m: async () => void (ran = true) });
    await sleep(20);
    assert.equal(ran, false);
    assert.equal(broker.depth('q-late'), 0);
    await caller.close();
    await server.close();
  });

  it('uses the default timeout from the options', async () => {
    const bus = new MemoryBus(new MemoryBroker(), recordingLogger(), { defaultTimeoutMs: 40 });
    const started = Date.now();
    await assert.rejects(bus.call('q-nobody', 'm', {}), { name: 'RpcTimeout', timeoutMs: 40 });
    assert.ok(Date.now() - started < 500);
    await bus.close();
  });

  it('logs failing cast handlers and casts to unknown methods', async () => {
    const log = recordingLogger();
    const bus = new MemoryBus(new MemoryBroker(), log);
    await bus.serve('q-plugin', {}, {
      boom: async () => {
        throw new Error('kaput');
      },
    });
    await bus.cast('q-plugin', 'boom', {});
    await bus.cast('q-plugin', 'nope', {});
    await sleep(20);
    assert.deepEqual(
      log.records.map((r) => `${r.level}: ${r.msg}`).sort(),
      ['error: RPC handler failed', 'warn: RPC method not served'],
    );
    await bus.close();
  });
});

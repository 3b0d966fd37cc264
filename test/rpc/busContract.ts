/**
 * The semantics every Bus transport must have, as one suite run against the
 * in-process bus (memoryTransport.test.ts) and RabbitMQ (amqpTransport.test.ts).
 * Each test gets three buses on one broker, like a server and two agents
 * with their own connections. Topics are unique per test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PortNotFound } from '../../src/common/errors.js';
import type { Bus, HandlerContext, RpcArgs } from '../../src/rpc/bus.js';
import { RpcBusClosed, RpcPayloadError, RpcRemoteError, RpcTimeout } from '../../src/rpc/errors.js';
import { sleep, waitFor } from './helpers.js';

export interface BusTrio {
  readonly server: Bus;
  readonly agent: Bus;
  readonly agent2: Bus;
  /** Opens one more bus on the same broker (closed by the suite). */
  open(): Promise<Bus>;
  close(): Promise<void>;
}

function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

interface Received {
  readonly args: RpcArgs;
  readonly ctx: HandlerContext;
}

export function busContract(name: string, makeTrio: () => Promise<BusTrio>): void {
  describe(`${name}: Bus semantics`, () => {
    let trio: BusTrio;
    before(async () => {
      trio = await makeTrio();
    });
    after(async () => {
      await trio.close();
    });

    it('call: the reply is the handler result; args and request context arrive as sent, through JSON', async () => {
      const topic = uniqueTopic('q-plugin');
      const seen: Received[] = [];
      const handle = await trio.server.serve(topic, {}, {
        get_devices_details_list: async (args, ctx) => {
          seen.push({ args, ctx });
          return { devices: args['devices'], at: new Date(0), nothing: undefined };
        },
      });
      const result = await trio.agent.call(
        topic,
        'get_devices_details_list',
        { devices: ['tap1', 'tap2'], agent_id: 'lb0001', host: 'compute1' },
        {
          timeoutMs: 5_000,
          context: { requestId: 'req-1', projectId: 'p1', userId: 'u1', roles: ['member'], isAdmin: false },
        },
      );
      // JSON: a Date becomes its string, undefined members disappear.
      assert.deepEqual(result, { devices: ['tap1', 'tap2'], at: '1970-01-01T00:00:00.000Z' });
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0]?.args, { devices: ['tap1', 'tap2'], agent_id: 'lb0001', host: 'compute1' });
      assert.deepEqual(seen[0]?.ctx, {
        context: { requestId: 'req-1', projectId: 'p1', userId: 'u1', roles: ['member'], isAdmin: false },
        topic,
        method: 'get_devices_details_list',
        kind: 'call',
      });
      await handle.stop();
    });

    it('call: a handler returning nothing replies null; without a context a request id is made up', async () => {
      const topic = uniqueTopic('q-plugin');
      let requestId = '';
      const handle = await trio.server.serve(topic, {}, {
        update_device_up: async (_args, ctx) => {
          requestId = ctx.context.requestId;
        },
      });
      assert.equal(await trio.agent.call(topic, 'update_device_up', { device: 'tap1' }, { timeoutMs: 5_000 }), null);
      assert.match(requestId, /^req-[0-9a-f-]{36}$/);
      await handle.stop();
    });

    it('call: a remote NeutronError comes back as RpcRemoteError with its type, message and status, no stack', async () => {
      const topic = uniqueTopic('q-plugin');
      const handle = await trio.server.serve(topic, {}, {
        get_port: async (args) => {
          throw new PortNotFound(String(args['port_id']));
        },
        crash: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'x')");
        },
      });
      const notFound = await trio.agent.call(topic, 'get_port', { port_id: 'p-1' }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      assert.ok(notFound instanceof RpcRemoteError, String(notFound));
      assert.equal(notFound.remoteType, 'PortNotFound');
      assert.equal(notFound.remoteMessage, 'Port p-1 could not be found.');
      assert.equal(notFound.topic, topic);
      assert.equal(notFound.method, 'get_port');
      assert.doesNotMatch(notFound.message, /\bat .*\.ts:\d+/);

      const crash = await trio.agent.call(topic, 'crash', {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      assert.ok(crash instanceof RpcRemoteError);
      assert.equal(crash.remoteType, 'TypeError');
      assert.match(crash.message, /TypeError: Cannot read properties of undefined/);
      await handle.stop();
    });

    it('call: an unknown method (also a prototype name) is a NoSuchMethod remote error', async () => {
      const topic = uniqueTopic('q-plugin');
      const handle = await trio.server.serve(topic, {}, { known: async () => 1 });
      for (const method of ['unknown', 'constructor', 'toString']) {
        const err = await trio.agent.call(topic, method, {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
        assert.ok(err instanceof RpcRemoteError, `${method}: ${String(err)}`);
        assert.equal(err.remoteType, 'NoSuchMethod');
      }
      await handle.stop();
    });

    it('call: nobody serving the topic -> RpcTimeout naming topic and method, on time', async () => {
      const topic = uniqueTopic('q-nobody');
      const started = Date.now();
      const err = await trio.agent.call(topic, 'report_state', {}, { timeoutMs: 300 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      assert.ok(err instanceof RpcTimeout, String(err));
      assert.equal(err.topic, topic);
      assert.equal(err.method, 'report_state');
      assert.equal(err.timeoutMs, 300);
      assert.match(err.message, new RegExp(`'report_state' on topic '${topic}'`));
      assert.ok(elapsed >= 290 && elapsed < 1_500, `timed out after ${elapsed} ms`);
    });

    it('call: a handler slower than the timeout -> RpcTimeout; its late reply is ignored', async () => {
      const topic = uniqueTopic('q-slow');
      const handle = await trio.server.serve(topic, {}, {
        slow: async () => {
          await sleep(400);
          return 'late';
        },
      });
      const err = await trio.agent.call(topic, 'slow', {}, { timeoutMs: 150 }).catch((e: unknown) => e);
      assert.ok(err instanceof RpcTimeout);
      await handle.stop(); // waits for the slow handler; its reply finds nobody waiting
    });

    it('call and cast with server go to topic.<server> only', async () => {
      const topic = uniqueTopic('dhcp_agent');
      const hits: string[] = [];
      const a = await trio.agent.serve(topic, { server: 'host-a' }, {
        whoami: async () => 'host-a',
        network_create_end: async () => void hits.push('host-a'),
      });
      const b = await trio.agent2.serve(topic, { server: 'host-b' }, {
        whoami: async () => 'host-b',
        network_create_end: async () => void hits.push('host-b'),
      });
      for (let i = 0; i < 4; i += 1) {
        assert.equal(await trio.server.call(topic, 'whoami', {}, { server: 'host-b', timeoutMs: 5_000 }), 'host-b');
        assert.equal(await trio.server.call(topic, 'whoami', {}, { server: 'host-a', timeoutMs: 5_000 }), 'host-a');
      }
      await trio.server.cast(topic, 'network_create_end', { network: { id: 'n1' } }, { server: 'host-a' });
      await trio.server.cast(topic, 'network_create_end', { network: { id: 'n1' } }, { server: 'host-a' });
      await waitFor('two casts', () => hits.length === 2);
      await sleep(50);
      assert.deepEqual(hits, ['host-a', 'host-a']);
      await a.stop();
      await b.stop();
    });

    it('cast: one consumer gets it, round-robin among the consumers of a topic', async () => {
      const topic = uniqueTopic('q-reports-plugin');
      const counts = { one: 0, two: 0 };
      const one = await trio.server.serve(topic, {}, { report_state: async () => void (counts.one += 1) });
      const two = await trio.agent2.serve(topic, {}, { report_state: async () => void (counts.two += 1) });
      for (let i = 0; i < 20; i += 1) await trio.agent.cast(topic, 'report_state', { i });
      await waitFor('20 casts', () => counts.one + counts.two === 20);
      await sleep(50);
      assert.equal(counts.one + counts.two, 20, 'each cast handled exactly once');
      assert.ok(counts.one >= 5 && counts.two >= 5, `round-robin: ${JSON.stringify(counts)}`);

      const calls = { one: 0, two: 0 };
      await one.stop();
      await two.stop();
      const c1 = await trio.server.serve(topic, {}, { ping: async () => ++calls.one });
      const c2 = await trio.agent2.serve(topic, {}, { ping: async () => ++calls.two });
      for (let i = 0; i < 10; i += 1) await trio.agent.call(topic, 'ping', {}, { timeoutMs: 5_000 });
      assert.ok(calls.one >= 3 && calls.two >= 3, `calls round-robin: ${JSON.stringify(calls)}`);
      await c1.stop();
      await c2.stop();
    });

    it('fanout: every subscriber gets a copy; plain consumers of the topic get none', async () => {
      const topic = uniqueTopic('q-agent-notifier-port-update');
      const got: string[] = [];
      const a = await trio.agent.serve(topic, { server: 'host-a', fanout: true }, {
        port_update: async (args) => void got.push(`a:${String(args['port_id'])}`),
      });
      const b = await trio.agent2.serve(topic, { server: 'host-b', fanout: true }, {
        port_update: async (args) => void got.push(`b:${String(args['port_id'])}`),
      });
      const plain = await trio.server.serve(topic, {}, { port_update: async () => void got.push('plain') });
      await trio.server.fanout(topic, 'port_update', { port_id: 'p1' });
      await trio.server.fanout(topic, 'port_update', { port_id: 'p2' });
      await waitFor('4 fanout copies', () => got.length >= 4);
      await sleep(100);
      assert.deepEqual([...got].sort(), ['a:p1', 'a:p2', 'b:p1', 'b:p2']);
      await a.stop();
      await b.stop();
      await plain.stop();
    });

    it('fanout with no subscriber is accepted and goes nowhere', async () => {
      await trio.server.fanout(uniqueTopic('q-agent-notifier-network-delete'), 'network_delete', { network_id: 'n' });
    });

    it('cast before anyone serves the topic waits for the first consumer', async () => {
      const topic = uniqueTopic('q-plugin');
      // the sender declares the queue first; a real consumer declares the same
      await trio.agent.cast(topic, 'tunnel_sync', { tunnel_ip: '192.0.2.1' });
      await sleep(50);
      const got: RpcArgs[] = [];
      const handle = await trio.server.serve(topic, {}, { tunnel_sync: async (args) => void got.push(args) });
      await waitFor('the early cast', () => got.length === 1);
      assert.deepEqual(got, [{ tunnel_ip: '192.0.2.1' }]);
      await handle.stop();
    });

    it('cast and fanout handler failures are logged, not thrown anywhere', async () => {
      const topic = uniqueTopic('q-plugin');
      let calls = 0;
      const handle = await trio.server.serve(topic, { fanout: true }, {
        fail: async () => {
          calls += 1;
          throw new Error('broken');
        },
      });
      await trio.agent.cast(topic, 'fail', {});
      await trio.agent.fanout(topic, 'fail', {});
      await waitFor('both deliveries', () => calls === 2);
      await handle.stop();
    });

    it('delivery is asynchronous: no handler runs inside call/cast/fanout', async () => {
      const topic = uniqueTopic('q-async');
      let running = false;
      let reentered = false;
      let handled = 0;
      const handle = await trio.server.serve(topic, { fanout: true }, {
        m: async () => {
          if (running) reentered = true;
          handled += 1;
        },
      });
      running = true;
      const sent = [trio.server.cast(topic, 'm', {}), trio.server.fanout(topic, 'm', {})];
      const call = trio.server.call(topic, 'm', {}, { timeoutMs: 5_000 });
      running = false;
      await Promise.all([...sent, call]);
      await waitFor('3 deliveries', () => handled === 3);
      assert.equal(reentered, false);
      await handle.stop();
    });

    it('arguments that are not JSON are refused with RpcPayloadError', async () => {
      const topic = uniqueTopic('q-plugin');
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      for (const send of [
        () => trio.agent.call(topic, 'm', { n: 10n }, { timeoutMs: 1_000 }),
        () => trio.agent.cast(topic, 'm', { circular }),
        () => trio.agent.fanout(topic, 'm', { n: 1n }),
      ]) {
        const err = await send().catch((e: unknown) => e);
        assert.ok(err instanceof RpcPayloadError, String(err));
        assert.equal(err.topic, topic);
      }
    });

    it('stop(): no more deliveries to that handle; the topic still works for others', async () => {
      const topic = uniqueTopic('q-plugin');
      const got: string[] = [];
      const first = await trio.server.serve(topic, {}, { m: async () => void got.push('first') });
      await first.stop();
      await first.stop(); // twice is fine
      const second = await trio.agent2.serve(topic, {}, { m: async () => void got.push('second') });
      for (let i = 0; i < 3; i += 1) await trio.agent.cast(topic, 'm', {});
      await waitFor('3 casts', () => got.length === 3);
      assert.deepEqual(got, ['second', 'second', 'second']);
      await second.stop();
    });

    it('stop() waits for running handlers', async () => {
      const topic = uniqueTopic('q-plugin');
      let finished = false;
      let started = false;
      const handle = await trio.server.serve(topic, {}, {
        m: async () => {
          started = true;
          await sleep(150);
          finished = true;
        },
      });
      await trio.agent.cast(topic, 'm', {});
      await waitFor('handler start', () => started);
      await handle.stop();
      assert.equal(finished, true);
    });

    it('close(): pending calls reject with RpcBusClosed; later use rejects too; close twice is fine', async () => {
      const bus = await trio.open();
      const topic = uniqueTopic('q-nobody');
      const pending = bus.call(topic, 'm', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
      await sleep(20);
      await bus.close();
      assert.ok((await pending) instanceof RpcBusClosed);
      assert.equal(bus.state, 'closed');
      await assert.rejects(bus.call(topic, 'm', {}), RpcBusClosed);
      await assert.rejects(bus.cast(topic, 'm', {}), RpcBusClosed);
      await assert.rejects(bus.fanout(topic, 'm', {}), RpcBusClosed);
      await assert.rejects(bus.serve(topic, {}, {}), RpcBusClosed);
      await bus.close();
    });

    it('close() lets a running call handler finish and send its reply', async () => {
      const bus = await trio.open();
      const topic = uniqueTopic('q-plugin');
      let started = false;
      await bus.serve(topic, {}, {
        m: async () => {
          started = true;
          await sleep(100);
          return 'done';
        },
      });
      const reply = trio.agent.call(topic, 'm', {}, { timeoutMs: 5_000 });
      await waitFor('handler start', () => started);
      await bus.close();
      assert.equal(await reply, 'done');
    });
  });
}

/**
 * The bus on a real RabbitMQ, in a throwaway vhost (created and deleted with
 * rabbitmqctl, so parallel runs do not collide). Besides the shared contract:
 * the names an operator sees, connection failures, the broker closing our
 * connections, and a broker restart (stop_app / start_app; it restarts the
 * whole node, set NUCLEON_TEST_RABBIT_RESTART=0 to skip it on a shared broker;
 * under CI=true that fails the test instead).
 */
import assert from 'node:assert/strict';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { AmqpBus, type AmqpBusOptions } from '../../src/rpc/amqpTransport.js';
import type { Bus, RpcArgs } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { RpcBufferFull, RpcConnectError } from '../../src/rpc/errors.js';
import * as topics from '../../src/rpc/topics.js';
import { skipOrFail } from '../helpers/kernel.js';
import { busContract } from './busContract.js';
import {
  createTestVhost,
  listExchanges,
  listQueues,
  rabbitmqctl,
  recordingLogger,
  sleep,
  waitFor,
  type TestVhost,
} from './helpers.js';

/** Fast retries so that tests recover in well under a second; the outage lasts at least ~240 ms. */
const FAST: AmqpBusOptions = {
  retryIntervalMs: 300,
  retryBackoffMs: 200,
  intervalMaxMs: 1_000,
  heartbeatTimeoutSeconds: 10,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 2_000,
};

let vhost: TestVhost;
const log = recordingLogger();
const opened: Bus[] = [];

async function open(name: string, options: AmqpBusOptions = {}): Promise<Bus> {
  const bus = await openBus(vhost.url, { ...FAST, connectionName: `nucleon-test:${name}`, ...options }, log);
  opened.push(bus);
  return bus;
}

before(async () => {
  vhost = await createTestVhost();
});

after(async () => {
  await Promise.all(opened.map((bus) => bus.close()));
  await vhost.drop();
  // Nothing left behind: no sockets, no timers (the runner would otherwise wait on them).
  await sleep(50);
  const leftovers = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout');
  assert.deepEqual(leftovers, [], `handles left open: ${leftovers.join(', ')}`);
});

busContract('RabbitMQ', async () => {
  const mine: Bus[] = [];
  const openMine = async (name: string) => {
    const bus = await open(name);
    mine.push(bus);
    return bus;
  };
  const [server, agent, agent2] = [await openMine('server'), await openMine('agent'), await openMine('agent2')];
  let extra = 0;
  return {
    server,
    agent,
    agent2,
    open: () => openMine(`extra-${++extra}`),
    close: async () => {
      await Promise.all(mine.map((bus) => bus.close()));
    },
  };
});

describe('RabbitMQ: what an operator sees', () => {
  it('declares the control exchange, topic queues, fanout exchanges and reply queues with Neutron names', async () => {
    const server = await open('neutron-server');
    const agent = await open('dhcp-agent');
    const stops = [
      await server.serve(topics.PLUGIN, { server: 'controller' }, { m: async () => null }),
      await server.serve(topics.REPORTS, { server: 'controller' }, { report_state: async () => 'alive' }),
      await agent.serve(topics.DHCP_AGENT, { server: 'network1' }, { port_create_end: async () => null }),
      await agent.serve(topics.AGENT_NOTIFIER.portUpdate, { server: 'network1', fanout: true }, { port_update: async () => null }),
    ];
    assert.equal(await agent.call(topics.REPORTS, 'report_state', { agent_state: { agent_state: {} } }, { timeoutMs: 5_000 }), 'alive');

    const exchanges = await listExchanges(vhost.name);
    assert.equal(exchanges.get('neutron'), 'topic');
    assert.equal(exchanges.get('q-agent-notifier-port-update_fanout'), 'fanout');
    const queues = await listQueues(vhost.name);
    for (const name of [
      'q-plugin',
      'q-plugin.controller',
      'q-reports-plugin',
      'q-reports-plugin.controller',
      'dhcp_agent',
      'dhcp_agent.network1',
      'q-agent-notifier-port-update',
      'q-agent-notifier-port-update.network1',
    ]) {
      assert.equal(queues.get(name)?.consumers, 1, `queue ${name}: ${JSON.stringify(queues.get(name))}`);
    }
    const names = [...queues.keys()];
    assert.equal(names.filter((n) => /^q-agent-notifier-port-update_fanout_[0-9a-f]{32}$/.test(n)).length, 1);
    assert.ok(names.filter((n) => /^reply_[0-9a-f]{32}$/.test(n)).length >= 2, names.join(' '));

    for (const handle of stops) await handle.stop();
    await server.close();
    await agent.close();
    // the fanout and reply queues go with their consumers / connections
    const after = [...(await listQueues(vhost.name)).keys()];
    assert.equal(after.filter((n) => n.startsWith('q-agent-notifier-port-update_fanout_')).length, 0, after.join(' '));
  });
});

describe('RabbitMQ: connecting', () => {
  it('gives up the first connection after connectTimeoutMs with RpcConnectError (nothing listens)', async () => {
    const started = Date.now();
    const err = await openBus('rabbit://guest:secret-pw@127.0.0.1:1/', { ...FAST, retryIntervalMs: 100, connectTimeoutMs: 600 }, log).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof RpcConnectError, String(err));
    assert.match(err.message, /guest@127\.0\.0\.1:1/);
    assert.doesNotMatch(err.message, /secret-pw/);
    assert.ok(Date.now() - started < 3_000);
  });

  it('refused credentials: RpcConnectError without the password', async () => {
    const url = vhost.url.replace(/^rabbit:\/\/([^:]+):[^@]*@/, 'rabbit://$1:not-the-password@');
    const err = await openBus(url, { ...FAST, connectTimeoutMs: 500 }, log).catch((e: unknown) => e);
    assert.ok(err instanceof RpcConnectError, String(err));
    assert.match(err.message, /ACCESS.REFUSED/);
    assert.doesNotMatch(err.message, /not-the-password/);
  });

  it('an exchange declared differently by someone else: reported once naming it, our flags and the broker; messages still flow', async () => {
    // What Nucleon itself declared before it followed oslo: a fanout exchange that is not auto-delete.
    const topic = 'q-agent-notifier-conflict-update';
    const raw = await connect(vhost.url.replace(/^rabbit:/, 'amqp:'));
    const channel = await raw.createChannel();
    await channel.assertExchange(`${topic}_fanout`, 'fanout', { durable: false, autoDelete: false });
    await raw.close();
    const conflictLog = recordingLogger();
    const agentBus = await openBus(vhost.url, { ...FAST, connectionName: 'nucleon-test:conflict-agent' }, conflictLog);
    const serverBus = await openBus(vhost.url, { ...FAST, connectionName: 'nucleon-test:conflict-server' }, conflictLog);
    opened.push(agentBus, serverBus);
    const got: unknown[] = [];
    await agentBus.serve(topic, { fanout: true }, { port_update: async (args) => void got.push(args['n']) });
    const started = Date.now();
    for (let n = 1; n <= 3; n += 1) await serverBus.fanout(topic, 'port_update', { n });
    assert.ok(Date.now() - started < 1_000, 'the sender is not held up');
    await waitFor('three fanouts through the exchange as it exists', () => got.length === 3);
    const refusals = conflictLog.records.filter((r) => r.msg === 'RabbitMQ refused a declaration; using what exists and retrying later');
    assert.equal(refusals.length, 2, 'once per bus, not once per message');
    for (const refusal of refusals) {
      const obj = refusal.obj as { declaration: string; reason: string };
      assert.equal(obj.declaration, `exchange '${topic}_fanout' (fanout, durable: false, auto_delete: true)`);
      assert.match(obj.reason, /PRECONDITION.FAILED.*auto_delete.*conflict-update_fanout/);
    }
    assert.equal(agentBus.state, 'connected');
    assert.equal(serverBus.state, 'connected');
  });

  it('rabbit_quorum_queue: topic queues are durable quorum queues, reply and fanout queues stay classic and transient', async () => {
    const bus = await open('quorum', { quorumQueues: true });
    const handle = await bus.serve('q-quorum', { server: 'h1', fanout: true }, { m: async () => 'ok' });
    assert.equal(await bus.call('q-quorum', 'm', {}, { timeoutMs: 5_000 }), 'ok');
    const lines = (await rabbitmqctl('list_queues', '-p', vhost.name, '--no-table-headers', 'name', 'type', 'durable')).split('\n');
    const typeOf = (pattern: RegExp) => lines.find((line) => pattern.test(line.split('\t')[0] ?? ''))?.split('\t').slice(1).join(' ');
    assert.equal(typeOf(/^q-quorum$/), 'quorum true');
    assert.equal(typeOf(/^q-quorum\.h1$/), 'quorum true');
    assert.equal(typeOf(/^q-quorum_fanout_/), 'classic false');
    await handle.stop();
  });

  it('fails over to the next host of the URL', async () => {
    const good = vhost.url.replace(/^rabbit:\/\//, '');
    const bus = await openBus(`rabbit://guest:guest@127.0.0.1:1,${good}`, { ...FAST, retryIntervalMs: 50 }, log);
    assert.ok(bus instanceof AmqpBus);
    assert.equal(bus.state, 'connected');
    await bus.close();
  });
});

/**
 * A server and an agent with their own connections; during an outage the
 * agent casts (accepted into its buffer) and calls (sent after reconnect).
 * Returns how long after `outageEnds` resolved everything was through.
 */
async function survivesOutage(
  name: string,
  startOutage: () => Promise<void>,
  endOutage: () => Promise<void>,
): Promise<{ recoveredMs: number; totalMs: number }> {
  const topic = `q-plugin-${name}`;
  const server = await open(`${name}-server`);
  const agent = await open(`${name}-agent`);
  const small = await open(`${name}-small`, { maxBufferedMessages: 3 });
  const got: number[] = [];
  const fanouts: RpcArgs[] = [];
  await server.serve(topic, { server: 'controller' }, {
    update_device_list: async (args) => void got.push(Number(args['i'])),
    get_devices_details: async (args) => ({ device: args['device'], admin_state_up: true }),
  });
  await agent.serve(topics.AGENT_NOTIFIER.portUpdate, { server: 'compute1', fanout: true }, {
    port_update: async (args) => void fanouts.push(args),
  });
  assert.deepEqual(await agent.call(topic, 'get_devices_details', { device: 'tap0' }, { timeoutMs: 5_000 }), {
    device: 'tap0',
    admin_state_up: true,
  });

  const started = Date.now();
  await startOutage();
  await waitFor('the agent to notice the outage', () => agent.state === 'connecting', 10_000);
  await waitFor('the small bus to notice the outage', () => small.state === 'connecting', 10_000);

  // Casts during the outage are accepted (buffered) at once.
  for (let i = 0; i < 20; i += 1) await agent.cast(topic, 'update_device_list', { i });
  assert.equal(agent.state, 'connecting', 'the casts were accepted while disconnected');
  // A call made during the outage goes out after reconnect.
  const call = agent.call(topic, 'get_devices_details', { device: 'tap9' }, { timeoutMs: 30_000 });
  // The buffer is bounded: past the bound a cast is refused, not silently dropped.
  for (let i = 0; i < 3; i += 1) await small.cast(topic, 'update_device_list', { i: 100 + i });
  await assert.rejects(small.cast(topic, 'update_device_list', { i: 999 }), RpcBufferFull);

  const outageEnded = Date.now();
  await endOutage();
  const reply = await call;
  assert.deepEqual(reply, { device: 'tap9', admin_state_up: true });
  await waitFor('the 23 buffered casts', () => got.length >= 23, 30_000);
  const recoveredMs = Date.now() - outageEnded;
  await sleep(100);
  assert.deepEqual(
    [...got].sort((a, b) => a - b),
    [...Array.from({ length: 20 }, (_, i) => i), 100, 101, 102],
    'every accepted cast delivered, once',
  );
  const agentOrder = got.filter((i) => i < 20);
  assert.deepEqual(agentOrder, [...agentOrder].sort((a, b) => a - b), 'in the order sent');

  // Calls, casts and fanouts work as before.
  assert.equal(server.state, 'connected');
  assert.deepEqual(await agent.call(topic, 'get_devices_details', { device: 'tap1' }, { timeoutMs: 5_000, server: 'controller' }), {
    device: 'tap1',
    admin_state_up: true,
  });
  await server.fanout(topics.AGENT_NOTIFIER.portUpdate, 'port_update', { port: { id: 'p1' } });
  await waitFor('the fanout after reconnect', () => fanouts.length === 1);
  const totalMs = Date.now() - started;

  assert.ok(log.records.some((r) => r.msg === 'lost the connection to RabbitMQ; reconnecting'));
  assert.ok(log.records.some((r) => r.msg === 'reconnected to RabbitMQ'));
  await Promise.all([server.close(), agent.close(), small.close()]);
  return { recoveredMs, totalMs };
}

describe('RabbitMQ: connection loss', () => {
  it('survives the broker closing every connection (rabbitmqctl close_all_connections)', async (t) => {
    const { recoveredMs, totalMs } = await survivesOutage(
      'forced',
      async () => {
        await rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'nucleon test: forced close');
      },
      async () => {
        // the broker is up: the buses come back by themselves
      },
    );
    t.diagnostic(`forced close: everything through ${recoveredMs} ms after the casts; ${totalMs} ms in all`);
    assert.ok(recoveredMs < 5_000, `recovered in ${recoveredMs} ms`);
  });

  it(
    'survives a broker restart (rabbitmqctl stop_app / start_app)',
    async (t) => {
      if (process.env['NUCLEON_TEST_RABBIT_RESTART'] === '0') {
        skipOrFail(t, 'NUCLEON_TEST_RABBIT_RESTART=0 (a shared broker)');
        return;
      }
      let restartMs = 0;
      const { recoveredMs, totalMs } = await survivesOutage(
        'restart',
        async () => {
          await rabbitmqctl('stop_app');
        },
        async () => {
          const started = Date.now();
          await rabbitmqctl('start_app');
          restartMs = Date.now() - started;
        },
      );
      t.diagnostic(
        `broker restart: start_app took ${restartMs} ms; everything through ${recoveredMs} ms after start_app began; ${totalMs} ms in all`,
      );
      assert.ok(recoveredMs < 15_000, `recovered in ${recoveredMs} ms`);
    },
  );
});

/**
 * A TCP proxy in front of RabbitMQ that can go silent: existing connections
 * stop passing bytes (a dead network path or a frozen broker) while new ones
 * still get through.
 */
async function silenceableProxy(): Promise<{ port: number; silence(): void; close(): Promise<void> }> {
  const pairs: Array<[Socket, Socket]> = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(5672, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    const destroy = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroy);
    upstream.on('error', destroy);
    client.on('close', destroy);
    upstream.on('close', destroy);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    silence: () => {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        // kept open, bytes go nowhere; destroyed with the proxy
        pairs.push([client, upstream]);
      }
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('RabbitMQ: a silent broker', () => {
  it('is noticed by heartbeats; the bus reconnects and sends what was not confirmed', async (t) => {
    const proxy = await silenceableProxy();
    const topic = 'q-plugin-silent';
    const server = await open('silent-server');
    const got: number[] = [];
    await server.serve(topic, {}, {
      tunnel_sync: async (args) => void got.push(Number(args['i'])),
      ping: async () => 'pong',
    });
    const viaProxy = vhost.url.replace('@127.0.0.1:5672/', `@127.0.0.1:${proxy.port}/`);
    const agent = await openBus(viaProxy, { ...FAST, heartbeatTimeoutSeconds: 2, connectionName: 'nucleon-test:silent-agent' }, log);
    opened.push(agent);
    try {
      assert.equal(await agent.call(topic, 'ping', {}, { timeoutMs: 5_000 }), 'pong');
      proxy.silence();
      const silencedAt = Date.now();
      // Sent into the void: never confirmed, so kept and sent again on the next connection.
      for (let i = 0; i < 5; i += 1) void agent.cast(topic, 'tunnel_sync', { i });
      await waitFor('the heartbeat to notice', () => agent.state === 'connecting', 10_000);
      const detectedMs = Date.now() - silencedAt;
      assert.equal(await agent.call(topic, 'ping', {}, { timeoutMs: 15_000 }), 'pong');
      await waitFor('the 5 casts', () => got.length >= 5, 10_000);
      const recoveredMs = Date.now() - silencedAt;
      assert.deepEqual([...new Set(got)].sort(), [0, 1, 2, 3, 4]);
      t.diagnostic(`silent broker: noticed after ${detectedMs} ms, traffic through after ${recoveredMs} ms`);
      assert.ok(detectedMs < 6_000, `heartbeat noticed after ${detectedMs} ms`);
    } finally {
      await agent.close();
      await server.close();
      await proxy.close();
    }
  });
});

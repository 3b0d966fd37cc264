/**
 * The bus against oslo.messaging itself (Debian's python3-oslo.messaging,
 * driven through osloPeer.py) on a real RabbitMQ: each side calls, casts and
 * fans out to the other, refusals come back as the other side raises them,
 * and what each side declares and publishes for the same operations is
 * compared field by field, so that any difference from oslo fails here.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { connect, type GetMessage } from 'amqplib';
import type { Bus } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { RpcRemoteError } from '../../src/rpc/errors.js';
import { skipOrFail } from '../helpers/kernel.js';
import { createTestVhost, rabbitmqctl, recordingLogger, waitFor, type TestVhost } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const PEER = join(dirname(fileURLToPath(import.meta.url)), 'osloPeer.py');
const hasOslo = spawnSync(PYTHON, ['-c', 'import oslo_messaging'], { stdio: 'ignore' }).status === 0;

/** The keys neutron_lib's Context.to_dict() sends (oslo.context's plus Neutron's own). */
const NEUTRON_CONTEXT = {
  user: null, project_id: null, system_scope: null, project: null, domain: null, user_domain: null, project_domain: null,
  is_admin: true, read_only: false, show_deleted: false, auth_token: null, request_id: 'req-from-oslo', global_request_id: null,
  resource_uuid: null, roles: ['admin'], user_identity: '- - - - -', is_admin_project: true, user_id: null, tenant_id: null,
  timestamp: '2026-12-06 12:00:00.000000', tenant_name: null, project_name: null, user_name: null,
};

interface PeerAnswer {
  ok?: unknown;
  error?: { class: string; exc_type?: string; value: string };
}

/** One oslo.messaging process; `send` writes a command and resolves with its answer line. */
class OsloPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(answer: PeerAnswer) => void> = [];
  private stderr = '';

  constructor(url: string) {
    this.child = spawn(PYTHON, [PEER, url]);
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as PeerAnswer));
  }

  send(command: Record<string, unknown>): Promise<PeerAnswer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`oslo peer did not answer ${JSON.stringify(command)}: ${this.stderr.slice(-2000)}`)), 20_000);
      this.waiting.push((answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  async ok(command: Record<string, unknown>): Promise<unknown> {
    const answer = await this.send(command);
    assert.equal(answer.error, undefined, `${JSON.stringify(command)}: ${JSON.stringify(answer.error)}`);
    return answer.ok;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.send({ op: 'stop' }).catch(() => undefined);
    this.child.stdin.end();
    await exited;
  }
}

/** Exchanges and queues of a vhost with their flags, uuids in names replaced. */
async function declarations(vhost: string): Promise<string[]> {
  const normal = (name: string) => name.replace(/[0-9a-f]{32}/g, '<uuid>');
  const exchanges = (await rabbitmqctl('list_exchanges', '-p', vhost, '--no-table-headers', 'name', 'type', 'durable', 'auto_delete', 'arguments'))
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('amq.') && !line.startsWith('\t'))
    .map((line) => `exchange ${normal(line)}`);
  const queues = (await rabbitmqctl('list_queues', '-p', vhost, '--no-table-headers', 'name', 'durable', 'auto_delete', 'exclusive', 'arguments'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `queue ${normal(line)}`);
  return [...exchanges, ...queues].sort();
}

describe('oslo.messaging on the other end', { concurrency: false }, () => {
  let vhost: TestVhost;
  let peer: OsloPeer;
  let bus: Bus;
  const log = recordingLogger();
  const got: Array<{ method: string; args: unknown; requestId: string; kind: string }> = [];

  before(async () => {
    if (!hasOslo) return;
    vhost = await createTestVhost();
    peer = new OsloPeer(vhost.url);
    bus = await openBus(vhost.url, { connectTimeoutMs: 10_000, closeTimeoutMs: 2_000 }, log);
    await bus.serve('q-nucleon', { server: 'controller', fanout: true, versions: { report_state: '1.2', echo: '1.2' } }, {
      report_state: async (args, { context, kind }) => {
        got.push({ method: 'report_state', args, requestId: context.requestId, kind });
        return 'alive';
      },
      echo: async (args, { context, kind }) => {
        got.push({ method: 'echo', args, requestId: context.requestId, kind });
        return { args };
      },
    });
    await peer.ok({ op: 'serve', topic: 'q-oslo', server: 'pyhost', version: '1.2' });
  });

  after(async () => {
    if (!hasOslo) return;
    await peer.stop();
    await bus.close();
    await vhost.drop();
  });

  it('oslo calls Nucleon: answered; cast and fanout arrive with their arguments and request id', async (t) => {
    if (!hasOslo) return skipOrFail(t, 'python3-oslo.messaging is not installed');
    const args = { agent_state: { agent_state: { host: 'h1' } }, time: '2026-12-06T12:00:00' };
    assert.equal(await peer.ok({ op: 'call', topic: 'q-nucleon', method: 'report_state', args, version: '1.2', context: NEUTRON_CONTEXT }), 'alive');
    assert.equal(await peer.ok({ op: 'call', topic: 'q-nucleon', server: 'controller', method: 'report_state', args, version: '1.1', context: NEUTRON_CONTEXT }), 'alive');
    await peer.ok({ op: 'cast', topic: 'q-nucleon', method: 'echo', args: { n: 1 }, version: '1.0', context: NEUTRON_CONTEXT });
    await peer.ok({ op: 'fanout', topic: 'q-nucleon', method: 'echo', args: { n: 2 }, version: '1.2', context: NEUTRON_CONTEXT });
    await waitFor('the cast and the fanout', () => got.length === 4);
    assert.deepEqual(
      got.map((g) => [g.method, g.kind, g.requestId]),
      [
        ['report_state', 'call', 'req-from-oslo'],
        ['report_state', 'call', 'req-from-oslo'],
        ['echo', 'cast', 'req-from-oslo'],
        ['echo', 'fanout', 'req-from-oslo'],
      ],
    );
    assert.deepEqual(got[0]?.args, args);
  });

  it('oslo calls Nucleon: an unknown method is a RemoteError NoSuchMethod, a newer version UnsupportedVersion, as from Neutron', async (t) => {
    if (!hasOslo) return skipOrFail(t, 'python3-oslo.messaging is not installed');
    const noMethod = await peer.send({ op: 'call', topic: 'q-nucleon', method: 'nothing', args: {}, version: '1.0', context: NEUTRON_CONTEXT });
    assert.deepEqual(noMethod.error, { class: 'RemoteError', exc_type: 'NoSuchMethod', value: 'Endpoint does not support RPC method nothing' });
    const newer = await peer.send({ op: 'call', topic: 'q-nucleon', method: 'report_state', args: {}, version: '1.3', context: NEUTRON_CONTEXT });
    assert.deepEqual(newer.error, {
      class: 'RemoteError',
      exc_type: 'UnsupportedVersion',
      value: 'Endpoint does not support RPC version 1.3. Attempted method: report_state',
    });
    const otherMajor = await peer.send({ op: 'call', topic: 'q-nucleon', method: 'report_state', args: {}, version: '2.0', context: NEUTRON_CONTEXT });
    assert.equal(otherMajor.error?.exc_type, 'UnsupportedVersion');
  });

  it('Nucleon calls oslo: answered with the context it sent; the peer failing, a missing method and a newer version come back typed', async (t) => {
    if (!hasOslo) return skipOrFail(t, 'python3-oslo.messaging is not installed');
    const context = { requestId: 'req-from-nucleon', projectId: 'p1', userId: 'u1', roles: ['member'], isAdmin: false };
    assert.deepEqual(await bus.call('q-oslo', 'echo', { a: [1, 'x'] }, { version: '1.1', context, timeoutMs: 10_000 }), {
      args: { a: [1, 'x'] },
      request_id: 'req-from-nucleon',
    });
    const expectRemote = async (method: string, version: string, type: string, message: RegExp) => {
      const err = await bus.call('q-oslo', method, {}, { version, timeoutMs: 10_000, server: 'pyhost' }).catch((e: unknown) => e);
      assert.ok(err instanceof RpcRemoteError, String(err));
      assert.equal(err.remoteType, type);
      assert.match(err.remoteMessage, message);
    };
    await expectRemote('fail', '1.0', 'PeerFailure', /^the peer failed on purpose$/);
    await expectRemote('nothing', '1.2', 'NoSuchMethod', /^Endpoint does not support RPC method nothing$/);
    await expectRemote('echo', '1.5', 'UnsupportedVersion', /^Endpoint does not support RPC version 1\.5\. Attempted method: echo$/);

    await bus.cast('q-oslo', 'echo', { via: 'cast' }, { version: '1.0', context });
    await bus.fanout('q-oslo', 'echo', { via: 'fanout' }, { version: '1.0', context });
    const deadline = Date.now() + 10_000;
    let received: Array<{ args: Record<string, unknown>; context: Record<string, unknown> }> = [];
    while (Date.now() < deadline && received.length < 3) {
      received = (await peer.ok({ op: 'received' })) as typeof received;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(received.map((r) => r.args['via'] ?? 'call'), ['call', 'cast', 'fanout']);
    const ctx = received[0]?.context ?? {};
    const delivery = ['client_timeout', 'msg_id', 'reply_q']; // what oslo adds on receipt
    assert.deepEqual(Object.keys(ctx).filter((k) => !delivery.includes(k)).sort(), Object.keys(NEUTRON_CONTEXT).sort(), 'the context keys of neutron_lib');
    assert.equal(ctx['project_id'], 'p1');
    assert.equal(ctx['tenant_id'], 'p1');
    assert.equal(ctx['user_id'], 'u1');
    assert.deepEqual(ctx['roles'], ['member']);
    assert.equal(ctx['is_admin'], false);
  });

  it('declares and publishes what oslo declares and publishes for the same operations', async (t) => {
    if (!hasOslo) return skipOrFail(t, 'python3-oslo.messaging is not installed');
    // The same things done by each side on a vhost of its own: serve a topic (with its
    // fanout), call it (a reply queue), fan out to it, and cast to a queue nobody consumes.
    const [mine, theirs] = [await createTestVhost(), await createTestVhost()];
    const nucleon = await openBus(mine.url, { connectTimeoutMs: 10_000, closeTimeoutMs: 2_000 }, recordingLogger());
    const oslo = new OsloPeer(theirs.url);
    try {
      await nucleon.serve('q-same', { server: 'host1', fanout: true, versions: { echo: '1.2' } }, { echo: async () => 'ok' });
      await oslo.ok({ op: 'serve', topic: 'q-same', server: 'host1', version: '1.2' });
      const raws = await Promise.all([mine, theirs].map(async (vhost) => {
        const connection = await connect(vhost.url.replace(/^rabbit:/, 'amqp:'));
        const channel = await connection.createChannel();
        await channel.assertQueue('capture', { durable: false, autoDelete: false });
        await channel.bindQueue('capture', 'neutron', 'capture');
        return { connection, channel };
      }));
      assert.equal(await nucleon.call('q-same', 'echo', {}, { version: '1.2', timeoutMs: 10_000 }), 'ok');
      assert.deepEqual(await oslo.ok({ op: 'call', topic: 'q-same', method: 'echo', args: {}, version: '1.2', context: NEUTRON_CONTEXT }), { args: {}, request_id: 'req-from-oslo' });
      await nucleon.fanout('q-same', 'echo', {}, { version: '1.2' });
      await oslo.ok({ op: 'fanout', topic: 'q-same', method: 'echo', args: {}, version: '1.2', context: NEUTRON_CONTEXT });
      await nucleon.cast('capture', 'echo', { n: 1 }, { version: '1.2' });
      await oslo.ok({ op: 'cast', topic: 'capture', method: 'echo', args: { n: 1 }, version: '1.2', context: NEUTRON_CONTEXT });

      const [ours, osloDeclared] = [await declarations(mine.name), await declarations(theirs.name)];
      assert.deepEqual(ours, osloDeclared);

      const captured: GetMessage[] = [];
      for (const { channel } of raws) {
        let message: GetMessage | false = false;
        for (let i = 0; i < 100 && message === false; i += 1) {
          message = await channel.get('capture', { noAck: true });
          if (message === false) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.ok(message, 'the cast reached the capture queue');
        captured.push(message);
      }
      const [ourCast, osloCast] = captured as [GetMessage, GetMessage];
      const shape = (m: GetMessage) => {
        const body = JSON.parse(m.content.toString()) as Record<string, unknown>;
        const inner = JSON.parse(String(body['oslo.message'])) as Record<string, unknown>;
        const { contentType, contentEncoding, deliveryMode, priority } = m.properties;
        return {
          properties: { contentType, contentEncoding, deliveryMode, priority },
          envelope: Object.keys(body).sort(),
          version: body['oslo.version'],
          keys: Object.keys(inner).sort(),
          method: inner['method'],
          args: inner['args'],
          messageVersion: inner['version'],
          types: Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, k === '_context_timestamp' || k === '_unique_id' ? typeof v : v === null ? 'null' : typeof v])),
        };
      };
      assert.deepEqual(shape(ourCast), shape(osloCast));
      for (const { connection } of raws) await connection.close();
    } finally {
      await oslo.stop();
      await nucleon.close();
      await mine.drop();
      await theirs.drop();
    }
  });
});

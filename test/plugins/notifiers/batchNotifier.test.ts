/**
 * The batching of Nova events (Neutron's BatchNotifier): the first event of
 * a quiet period goes at once, later ones gather for one send per interval,
 * sends never overlap, a failing send does not stop the loop.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { BatchNotifier } from '../../../src/plugins/notifiers/batchNotifier.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sent {
  readonly batch: number[];
  readonly at: number;
}

function recorder(sendMs = 0, fail?: (batch: number[]) => boolean) {
  const sent: Sent[] = [];
  const errors: object[] = [];
  let inFlight = 0;
  let overlapped = false;
  const start = Date.now();
  const send = async (batch: number[]) => {
    inFlight += 1;
    if (inFlight > 1) overlapped = true;
    sent.push({ batch, at: Date.now() - start });
    if (sendMs > 0) await sleep(sendMs);
    inFlight -= 1;
    if (fail?.(batch)) throw new Error('boom');
  };
  const log = { error: (obj: object) => void errors.push(obj) };
  return { sent, errors, send, log, overlapped: () => overlapped };
}

describe('BatchNotifier', () => {
  test('events queued in one tick go at once, as one batch', async () => {
    const r = recorder();
    const notifier = new BatchNotifier<number>(200, r.send, r.log);
    notifier.queue(1);
    notifier.queue(2);
    notifier.queue(undefined);
    notifier.queue(3);
    await sleep(30);
    assert.deepEqual(r.sent.map((s) => s.batch), [[1, 2, 3]]);
    assert.ok(r.sent[0]!.at < 30, `sent after ${r.sent[0]!.at} ms`);
    await notifier.close();
  });

  test('events during the interval after a send wait for its end and go together', async () => {
    const r = recorder();
    const notifier = new BatchNotifier<number>(150, r.send, r.log);
    notifier.queue(1);
    await sleep(20);
    notifier.queue(2);
    await sleep(20);
    notifier.queue(3);
    await sleep(40);
    assert.deepEqual(r.sent.map((s) => s.batch), [[1]], 'nothing before the interval is over');
    await sleep(150);
    assert.deepEqual(r.sent.map((s) => s.batch), [[1], [2, 3]]);
    assert.ok(r.sent[1]!.at >= 140, `second batch after ${r.sent[1]!.at} ms`);
    assert.equal(notifier.batches, 2);
    // Quiet for longer than the interval: the next event goes at once again.
    await sleep(200);
    const before = Date.now();
    notifier.queue(4);
    await sleep(20);
    assert.deepEqual(r.sent.at(-1)?.batch, [4]);
    assert.ok(Date.now() - before < 100);
    await notifier.close();
  });

  test('a slow send holds the next batch back: sends never overlap', async () => {
    const r = recorder(100);
    const notifier = new BatchNotifier<number>(50, r.send, r.log);
    notifier.queue(1);
    await sleep(10);
    for (let i = 2; i <= 5; i += 1) notifier.queue(i);
    await sleep(400);
    assert.deepEqual(r.sent.map((s) => s.batch), [[1], [2, 3, 4, 5]]);
    assert.ok(r.sent[1]!.at >= 145, `second batch after ${r.sent[1]!.at} ms: the send (100) and the interval (50)`);
    assert.equal(r.overlapped(), false);
    await notifier.close();
  });

  test('a failing send is logged and the next batch still goes', async () => {
    const r = recorder(0, (batch) => batch.includes(1));
    const notifier = new BatchNotifier<number>(30, r.send, r.log);
    notifier.queue(1);
    await sleep(10);
    notifier.queue(2);
    await sleep(80);
    assert.deepEqual(r.sent.map((s) => s.batch), [[1], [2]]);
    assert.equal(r.errors.length, 1);
    await notifier.close();
  });

  test('close drops what waits, ends the interval at once and sends nothing more', async () => {
    const r = recorder();
    const notifier = new BatchNotifier<number>(10_000, r.send, r.log);
    notifier.queue(1);
    await sleep(10);
    notifier.queue(2);
    notifier.queue(3);
    assert.equal(notifier.size, 2);
    const started = Date.now();
    assert.equal(await notifier.close(), 2);
    assert.ok(Date.now() - started < 100, 'close does not wait for the interval');
    notifier.queue(4);
    await sleep(20);
    assert.deepEqual(r.sent.map((s) => s.batch), [[1]]);
  });
});

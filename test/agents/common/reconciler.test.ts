import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';

import { Reconciler } from '../../../src/agents/common/reconciler.js';

const log = pino({ level: 'silent' });

describe('Reconciler', () => {
  it('folds a burst of kicks into a handful of passes that never overlap', async () => {
    let running = 0;
    let overlapped = false;
    let passes = 0;
    const reconciler = new Reconciler({
      name: 'test',
      intervalMs: 0,
      settleMs: 20,
      log,
      pass: async () => {
        running++;
        if (running > 1) overlapped = true;
        passes++;
        await sleep(15);
        running--;
      },
    });
    reconciler.start();
    for (let i = 0; i < 1000; i++) {
      reconciler.kick();
      if (i % 100 === 0) await sleep(5);
    }
    await reconciler.sync();
    await reconciler.stop();
    assert.equal(overlapped, false);
    assert.ok(passes >= 2 && passes <= 10, `${passes} passes`);
  });

  it('sync() waits for a pass that started after it was called', async () => {
    const seen: number[] = [];
    let value = 0;
    const reconciler = new Reconciler({ name: 'test', intervalMs: 0, log, pass: async () => void seen.push(value) });
    reconciler.start();
    value = 1;
    await reconciler.sync();
    assert.equal(seen.at(-1), 1);
    await reconciler.stop();
  });

  it('runs again on its interval, and a failing pass does not stop the loop', async () => {
    let passes = 0;
    const reconciler = new Reconciler({
      name: 'test',
      intervalMs: 20,
      log,
      pass: async () => {
        passes++;
        if (passes === 1) throw new Error('the host said no');
      },
    });
    reconciler.start();
    await sleep(120);
    await reconciler.stop();
    assert.ok(passes >= 3, `${passes} passes`);
    const after = passes;
    await sleep(60);
    assert.equal(passes, after, 'no pass after stop()');
  });
});

/**
 * Which port changes become which Nova events (Neutron's
 * neutron/notifiers/nova.py), the subscriptions to the core events, the
 * bounded retries and how Nova's answers are logged: with a fake sender.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { EventBus } from '../../../src/events/bus.js';
import type { CoreEvents, EventObject } from '../../../src/plugins/core/events.js';
import { type CreateEventsResult, type NovaEvent, NovaUnavailable } from '../../../src/plugins/notifiers/novaClient.js';
import {
  isComputePort,
  isUuidLike,
  NovaNotifier,
  type NovaNotifierOptions,
  portChangedEvent,
  statusChangeEvent,
} from '../../../src/plugins/notifiers/novaNotifier.js';
import { adminContext } from '../../../src/common/context.js';

const SERVER = '0b9e1f53-6a1c-4a6e-9c4e-1f2d3c4b5a69';
const PORT = 'c5f0b8a2-58e4-4b53-a2c9-3f9a1e7d6b10';

/** An instance's port, whole, as the core events carry it. */
const port = (extra: Partial<EventObject<'port'>> = {}): EventObject<'port'> => ({
  id: PORT,
  name: 'p',
  network_id: 'n',
  tenant_id: 'project',
  project_id: 'project',
  admin_state_up: true,
  mac_address: 'fa:16:3e:00:00:01',
  device_owner: 'compute:nova',
  device_id: SERVER,
  status: 'DOWN',
  fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.5' }],
  allowed_address_pairs: [],
  extra_dhcp_opts: [],
  security_groups: [],
  port_security_enabled: true,
  dns_name: '',
  dns_assignment: [],
  'binding:host_id': '',
  'binding:vnic_type': 'normal',
  'binding:profile': {},
  'binding:vif_type': 'unbound',
  'binding:vif_details': {},
  device_profile: null,
  numa_affinity_policy: null,
  description: '',
  tags: [],
  revision_number: 1,
  created_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-01T00:00:00Z',
  ...extra,
});

interface Record_ {
  readonly level: string;
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

function recordingLog() {
  const records: Record_[] = [];
  const at = (level: string) => (obj: object, msg: string) => void records.push({ level, msg, obj: obj as Record<string, unknown> });
  return { records, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A sender that answers from a script (the last entry repeats) and records every call. */
function scriptedSender(script: (CreateEventsResult | Error)[]) {
  const calls: { events: readonly NovaEvent[]; at: number }[] = [];
  const start = Date.now();
  return {
    calls,
    async createEvents(events: readonly NovaEvent[]): Promise<CreateEventsResult> {
      calls.push({ events, at: Date.now() - start });
      const next = script.length > 1 ? script.shift()! : script[0]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

const ok = (events: readonly NovaEvent[]): CreateEventsResult => ({ kind: 'accepted', status: 200, events: events.map((e) => ({ ...e, code: 200 })) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function notifier(options: Partial<NovaNotifierOptions> & Pick<NovaNotifierOptions, 'client'>) {
  const { records, log } = recordingLog();
  const n = new NovaNotifier({ intervalMs: 20, retries: 2, backoffMs: 10, statusChanges: true, dataChanges: true, log, ...options });
  return { n, records };
}

describe('Nova events for port changes', () => {
  test('uuid-like device ids, as oslo uuidutils', () => {
    for (const yes of [SERVER, SERVER.toUpperCase(), SERVER.replaceAll('-', ''), `{${SERVER}}`, `urn:uuid:${SERVER}`]) assert.ok(isUuidLike(yes), yes);
    for (const no of ['', 'vm-1', `${SERVER}0`, SERVER.slice(1), 'g'.repeat(32), undefined, null, 42]) assert.ok(!isUuidLike(no), String(no));
    assert.ok(isComputePort(port()));
    assert.ok(isComputePort(port({ device_owner: 'compute:az-1' })));
    assert.ok(!isComputePort(port({ device_owner: 'network:dhcp' })));
    assert.ok(!isComputePort(port({ device_owner: '' })));
    assert.ok(!isComputePort(port({ device_id: 'vm-1' })));
    assert.ok(!isComputePort(port({ device_id: '' })));
  });

  test('status transitions: plugged on DOWN/BUILD/new -> ACTIVE (completed) or ERROR (failed), unplugged on ACTIVE -> DOWN, nothing else', () => {
    const plugged = (status: string) => ({ server_uuid: SERVER, name: 'network-vif-plugged', status, tag: PORT });
    assert.deepEqual(statusChangeEvent(port(), 'DOWN', 'ACTIVE'), plugged('completed'));
    assert.deepEqual(statusChangeEvent(port(), 'BUILD', 'ACTIVE'), plugged('completed'));
    assert.deepEqual(statusChangeEvent(port(), undefined, 'ACTIVE'), plugged('completed'));
    assert.deepEqual(statusChangeEvent(port(), 'BUILD', 'ERROR'), plugged('failed'));
    assert.deepEqual(statusChangeEvent(port(), 'ACTIVE', 'DOWN'), { server_uuid: SERVER, name: 'network-vif-unplugged', status: 'completed', tag: PORT });
    for (const [from, to] of [
      ['DOWN', 'BUILD'],
      ['ACTIVE', 'BUILD'],
      ['BUILD', 'DOWN'],
      ['ERROR', 'ACTIVE'],
      ['ACTIVE', 'ERROR'],
      [undefined, 'DOWN'],
    ] as const) {
      assert.equal(statusChangeEvent(port(), from, to), undefined, `${from} -> ${to}`);
    }
    assert.equal(statusChangeEvent(port({ device_owner: 'network:router_interface' }), 'DOWN', 'ACTIVE'), undefined);
    assert.equal(statusChangeEvent(port({ device_id: 'not-a-uuid' }), 'DOWN', 'ACTIVE'), undefined);
  });

  test('updates give network-changed and deletes network-vif-deleted, without a status', () => {
    assert.deepEqual(portChangedEvent('update_port', port()), { name: 'network-changed', server_uuid: SERVER, tag: PORT });
    assert.deepEqual(portChangedEvent('delete_port', port()), { server_uuid: SERVER, name: 'network-vif-deleted', tag: PORT });
    assert.equal(portChangedEvent('update_port', port({ device_owner: 'network:dhcp' })), undefined);
    assert.equal(portChangedEvent('delete_port', port({ device_id: '' })), undefined);
  });

  test('subscribed to the core events: status reports, other updates and deletes, each only when its option is on', async () => {
    const run = async (statusChanges: boolean, dataChanges: boolean) => {
      const sender = scriptedSender([{ kind: 'accepted', status: 200, events: [] }]);
      const { n } = notifier({ client: sender, statusChanges, dataChanges });
      const events = new EventBus<CoreEvents>({ error: () => undefined });
      n.install(events);
      const ctx = adminContext();
      const down = port();
      const active = port({ status: 'ACTIVE', revision_number: 2, updated_at: '2024-01-01T00:00:01Z' });
      await events.notify('port.after_create', { ctx, current: down });
      // A status report: the status event only.
      await events.notify('port.after_update', { ctx, original: down, current: active });
      // An update through the API (new address): network-changed only.
      const moved = { ...active, fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.6' }], revision_number: 3 };
      await events.notify('port.after_update', { ctx, original: active, current: moved });
      // A PUT that changes nothing is still an update_port for Nova.
      await events.notify('port.after_update', { ctx, original: moved, current: moved });
      await events.notify('port.after_delete', { ctx, current: moved });
      // Not an instance's port: nothing.
      const dhcp = port({ device_owner: 'network:dhcp', id: 'other' });
      await events.notify('port.after_update', { ctx, original: dhcp, current: { ...dhcp, status: 'ACTIVE' } });
      await events.notify('port.after_delete', { ctx, current: dhcp });
      await sleep(30);
      await n.close();
      return sender.calls.flatMap((call) => call.events.map((e) => e.name));
    };
    assert.deepEqual(await run(true, true), ['network-vif-plugged', 'network-changed', 'network-changed', 'network-vif-deleted']);
    assert.deepEqual(await run(true, false), ['network-vif-plugged']);
    assert.deepEqual(await run(false, true), ['network-changed', 'network-changed', 'network-vif-deleted']);
  });

  test('a port created ACTIVE is plugged at once', async () => {
    const sender = scriptedSender([{ kind: 'accepted', status: 200, events: [] }]);
    const { n } = notifier({ client: sender });
    const events = new EventBus<CoreEvents>({ error: () => undefined });
    n.install(events);
    await events.notify('port.after_create', { ctx: adminContext(), current: port({ status: 'ACTIVE' }) });
    await sleep(20);
    await n.close();
    assert.deepEqual(sender.calls.map((c) => c.events), [[{ server_uuid: SERVER, name: 'network-vif-plugged', status: 'completed', tag: PORT }]]);
  });
});

describe('sending Nova events', () => {
  const batch: NovaEvent[] = [{ server_uuid: SERVER, name: 'network-changed', tag: PORT }];

  test('Nova unavailable: retried http_retries times with a doubling delay, then dropped with a warning', async () => {
    const sender = scriptedSender([new NovaUnavailable('Nova answered HTTP 500')]);
    const { n, records } = notifier({ client: sender, retries: 3, backoffMs: 20 });
    await n.sendEvents(batch);
    assert.equal(sender.calls.length, 4);
    const gaps = sender.calls.slice(1).map((call, i) => call.at - sender.calls[i]!.at);
    assert.ok(gaps[0]! >= 18 && gaps[1]! >= 38 && gaps[2]! >= 78, `delays ${gaps.join(', ')} ms`);
    assert.equal(records.filter((r) => r.msg.includes('retrying')).length, 3);
    const dropped = records.filter((r) => r.level === 'warn' && r.msg.includes('dropped'));
    assert.equal(dropped.length, 1);
    assert.deepEqual(dropped[0]!.obj.events, batch);
    assert.equal(dropped[0]!.obj.attempts, 4);
    assert.equal(n.dropped, 1);
  });

  test('http_retries = 0: one attempt; a later success ends the retries', async () => {
    const once = scriptedSender([new NovaUnavailable('refused')]);
    await notifier({ client: once, retries: 0 }).n.sendEvents(batch);
    assert.equal(once.calls.length, 1);
    const flaky = scriptedSender([new NovaUnavailable('refused'), ok(batch)]);
    const { n, records } = notifier({ client: flaky, retries: 3 });
    await n.sendEvents(batch);
    assert.equal(flaky.calls.length, 2);
    assert.equal(n.dropped, 0);
    assert.ok(records.some((r) => r.level === 'info' && r.msg === 'Nova event response'));
  });

  test("Nova's answers are logged as Neutron logs them: 207 per event, 404 at debug, other errors at error, never retried", async () => {
    const mixed = scriptedSender([
      {
        kind: 'accepted',
        status: 207,
        events: [
          { ...batch[0], code: 200, status: 'completed' },
          { server_uuid: 'gone', name: 'network-changed', code: 404, status: 'failed' },
        ],
      },
    ]);
    const a = notifier({ client: mixed });
    await a.n.sendEvents(batch);
    assert.deepEqual(
      a.records.filter((r) => r.level !== 'debug').map((r) => [r.level, r.msg]),
      [
        ['info', 'Nova event response'],
        ['warn', 'Nova event returned with failed status'],
      ],
    );

    const notFound = scriptedSender([{ kind: 'not-found' }]);
    const b = notifier({ client: notFound });
    await b.n.sendEvents(batch);
    assert.equal(notFound.calls.length, 1);
    assert.deepEqual(b.records.map((r) => r.level), ['debug', 'debug']);
    assert.equal(b.records[1]!.msg, 'Nova returned NotFound for events');

    const rejected = scriptedSender([{ kind: 'rejected', status: 403, detail: 'Policy doesn\'t allow' }]);
    const c = notifier({ client: rejected });
    await c.n.sendEvents(batch);
    assert.equal(rejected.calls.length, 1);
    assert.deepEqual(c.records.filter((r) => r.level === 'error').map((r) => r.msg), ['Failed to notify Nova on events']);

    const malformed = scriptedSender([{ kind: 'accepted', status: 200, events: [{ name: 'network-changed' }] }]);
    const d = notifier({ client: malformed });
    await d.n.sendEvents(batch);
    assert.deepEqual(d.records.filter((r) => r.level === 'error').map((r) => r.msg), ['Error response returned from Nova']);

    const crash = scriptedSender([new TypeError('a bug')]);
    const e = notifier({ client: crash });
    await e.n.sendEvents(batch);
    assert.equal(crash.calls.length, 1);
    assert.deepEqual(e.records.filter((r) => r.level === 'error').map((r) => r.msg), ['Failed to notify Nova on events']);
  });

  test('close abandons a retry wait at once', async () => {
    const sender = scriptedSender([new NovaUnavailable('refused')]);
    const { n } = notifier({ client: sender, retries: 5, backoffMs: 10_000 });
    n.queue(batch[0]);
    await sleep(30);
    assert.equal(sender.calls.length, 1);
    const started = Date.now();
    await n.close();
    assert.ok(Date.now() - started < 200);
    assert.equal(sender.calls.length, 1);
  });
});

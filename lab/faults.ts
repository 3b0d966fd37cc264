/**
 * The faults of the HA lab, each run under the 16-client load (load.ts):
 * a warm-up, the fault, the repair the brief calls for (a restart, the
 * database back), a wait until every part is whole again, a quiet tail,
 * then the load stops and the invariants are checked (invariants.ts).
 *
 * What is measured, per fault, with Date.now() times relative to the
 * fault (t = 0):
 *  - wholeAfterMs: until every part is back (cluster sizes, haproxy's
 *    servers UP, agents alive), as the fault's own `whole` check says;
 *  - the clients' view: failed requests (no answer or 5xx) by kind, and
 *    the window they fell in;
 *  - the fault's own figures (detection by haproxy, agents' return...).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { checkInvariants, type InvariantReport } from './invariants.js';
import { inFlightAt, startLoad, type LoadReport, type RequestRecord } from './load.js';
import type { AgentHosts } from './agentHosts.js';
import type { Galera } from './galera.js';
import type { Haproxy } from './haproxy.js';
import { neutronRequest } from './neutronHttp.js';
import type { RabbitCluster } from './rabbitCluster.js';
import type { LabServers } from './servers.js';
import { AGENT_DOWN_TIME_S, REPORT_INTERVAL_S } from './servers.js';
import { eventually } from '../test/helpers/eventually.js';

export const FAULT_NAMES = ['server-kill', 'galera-kill', 'rabbit-kill', 'broker-restart', 'db-outage', 'agent-cutoff'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface LabParts {
  readonly galera: Galera;
  readonly rabbit: RabbitCluster;
  readonly haproxy: Haproxy;
  readonly servers: LabServers;
  readonly agents: AgentHosts;
  readonly databaseUrl: string;
  readonly log: (line: string) => void;
}

export interface ClientView {
  readonly requests: number;
  readonly failures: number;
  /** `503 ServiceUnavailable`, `0 ECONNRESET`, ... */
  readonly failuresByKind: Readonly<Record<string, number>>;
  /** First failure sent and last failure answered, ms from the fault (null: none). */
  readonly failureWindowMs: readonly [number, number] | null;
  readonly status500: number;
  /** Requests open at the instant of the fault: those a crash may fail. */
  readonly inFlightAtFault: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** One message of each kind of failure, as the clients saw it. */
  readonly sampleMessages: Readonly<Record<string, string>>;
  /** The first failures: when (ms from the fault), which request, what answer. */
  readonly firstFailures: readonly string[];
}

export interface FaultResult {
  readonly name: FaultName;
  readonly what: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly wholeAfterMs: number;
  readonly figures: Readonly<Record<string, number | string>>;
  readonly clients: ClientView;
  readonly invariants: { readonly violations: InvariantReport['violations']; readonly counts: InvariantReport['counts'] } | { readonly error: string };
  /** For each object a violation names: the load's requests on it, times from the fault, to tell what happened. */
  readonly evidence: Readonly<Record<string, readonly string[]>>;
}

/** What one fault does between the warm-up and the tail; its figures, relative to `t0`. */
interface FaultScript {
  readonly what: string;
  inject(parts: LabParts, record: (name: string, value: number | string) => void, t0: () => number): Promise<void>;
}

const WARM_UP_MS = 8_000;
const TAIL_MS = 8_000;
const AGENTS_ALIVE_LIMIT_MS = 2 * REPORT_INTERVAL_S * 1000;

const since = (t0: number) => Date.now() - t0;

async function waitHaproxy(parts: LabParts, server: string, state: 'UP' | 'DOWN', timeoutMs: number): Promise<void> {
  await eventually(`haproxy: ${server} ${state}`, async () => (await parts.haproxy.serverStates())[server]?.startsWith(state) === true, timeoutMs);
}

/** Alive agents of the simulated hosts, as GET /v2.0/agents says. */
async function aliveAgents(parts: LabParts): Promise<number> {
  const answer = await neutronRequest(parts.haproxy.apiUrl, { projectId: 'lab', roles: ['admin'] }, 'GET', '/v2.0/agents?fields=host&fields=alive', undefined, 10_000);
  if (answer.status !== 200) return -1;
  const agents = (answer.body as { agents: Array<{ host: string; alive: boolean }> }).agents;
  const ours = new Set(parts.agents.hosts);
  return agents.filter((agent) => ours.has(agent.host) && agent.alive).length;
}

/** Every simulated agent answered after `after` (their own view of the bus). */
async function agentsReportedSince(parts: LabParts, after: number, timeoutMs: number): Promise<void> {
  await eventually('every agent reporting again', async () => parts.agents.status().every((agent) => agent.lastReportOk > after), timeoutMs);
}

/** kill -9 of something haproxy fronts: until haproxy marks it DOWN, restarted 5 s after the kill, until haproxy marks it UP. */
function killBehindHaproxy(
  what: string,
  haproxyServer: string,
  part: (parts: LabParts) => { kill9(index: number): void; restart(index: number): Promise<void> },
): FaultScript {
  return {
    what,
    async inject(parts, record, t0) {
      part(parts).kill9(0);
      await waitHaproxy(parts, haproxyServer, 'DOWN', 10_000);
      record('haproxyMarkedDownMs', since(t0()));
      await sleep(Math.max(0, 5_000 - since(t0())));
      await part(parts).restart(0);
      record('restartedMs', since(t0()));
      await waitHaproxy(parts, haproxyServer, 'UP', 30_000);
      record('haproxyMarkedUpMs', since(t0()));
    },
  };
}

const serverKill = killBehindHaproxy(
  'kill -9 of nucleon-server 1 (haproxy routes around it), restarted 5 s later',
  'nucleon_api/server1',
  (parts) => parts.servers,
);

const galeraKill = killBehindHaproxy(
  'kill -9 of galera1, the node haproxy sends every server to; restarted 5 s later, rejoins by IST (restartedMs: Synced again)',
  'galera/galera1',
  (parts) => parts.galera,
);

const rabbitKill: FaultScript = {
  what: 'kill -9 of RabbitMQ node lab1 (the first host of every transport_url), restarted 5 s later',
  async inject(parts, record, t0) {
    const killedAt = Date.now();
    parts.rabbit.kill9(0);
    await agentsReportedSince(parts, killedAt, 60_000);
    record('agentsReportingAgainMs', since(t0()));
    await sleep(Math.max(0, 5_000 - since(t0())));
    await parts.rabbit.restart(0);
    record('nodeRejoinedMs', since(t0()));
    const queues = await parts.rabbit.queues();
    const serverQueues = queues.filter((q) => q.name.startsWith('q-'));
    record('serverTopicQueues', serverQueues.length);
    record('quorumServerTopicQueues', serverQueues.filter((q) => q.type === 'quorum').length);
  },
};

/** Ports bound to the first agents' hosts, made while the broker is down and reported up once it is back. */
async function boundPorts(parts: LabParts, count: number): Promise<Map<string, string[]>> {
  const admin = { projectId: 'lab-agents', roles: ['admin'] };
  const api = parts.haproxy.apiUrl;
  const must = async (path: string, body: unknown, key: string): Promise<string> => {
    const answer = await neutronRequest(api, admin, 'POST', path, body, 30_000);
    if (answer.status !== 201) throw new Error(`lab: POST ${path}: ${answer.status} ${answer.errorMessage ?? answer.connectionError ?? ''}`);
    return (answer.body as Record<string, { id: string }>)[key]?.id ?? '';
  };
  const network = await must('/v2.0/networks', { network: { name: `lab-bound-${Date.now()}` } }, 'network');
  await must('/v2.0/subnets', { subnet: { network_id: network, ip_version: 4, cidr: '10.99.0.0/20', enable_dhcp: false } }, 'subnet');
  const byHost = new Map<string, string[]>();
  for (let i = 0; i < count; i += 1) {
    const host = parts.agents.hosts[i % parts.agents.hosts.length] as string;
    const port = await must('/v2.0/ports', { port: { network_id: network, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID() } }, 'port');
    byHost.set(host, [...(byHost.get(host) ?? []), port]);
  }
  return byHost;
}

async function portStatuses(parts: LabParts, ids: readonly string[]): Promise<Record<string, number>> {
  const query = ids.map((id) => `id=${id}`).join('&');
  const answer = await neutronRequest(parts.haproxy.apiUrl, { projectId: 'lab-agents', roles: ['admin'] }, 'GET', `/v2.0/ports?fields=status&${query}`, undefined, 10_000);
  const counts: Record<string, number> = {};
  if (answer.status !== 200) return { [`list ${answer.status}`]: ids.length };
  for (const port of (answer.body as { ports: Array<{ status: string }> }).ports) counts[port.status] = (counts[port.status] ?? 0) + 1;
  return counts;
}

const brokerRestart: FaultScript = {
  what: 'every RabbitMQ node stopped (rabbitmqctl stop), then all started together; ports bound while it was down',
  async inject(parts, record, t0) {
    const ports = await boundPorts(parts, 20);
    const ids = [...ports.values()].flat();
    await parts.rabbit.stopAll();
    record('allStoppedMs', since(t0()));
    parts.agents.assignDevices(ports);
    record('boundPortsWhileDown', ids.length);
    await parts.rabbit.startAll();
    const backAt = Date.now();
    record('clusterBackMs', since(t0()));
    await agentsReportedSince(parts, backAt, 120_000);
    const agentsBackMs = Date.now() - backAt;
    record('agentsReportingAfterBrokerBackMs', agentsBackMs);
    await eventually('every agent alive in the API', async () => (await aliveAgents(parts)) === parts.agents.hosts.length, 120_000);
    const aliveMs = Date.now() - backAt;
    record('agentsAliveInApiAfterBrokerBackMs', aliveMs);
    record('twoReportIntervalsMs', AGENTS_ALIVE_LIMIT_MS);
    await eventually('bound ports ACTIVE', async () => (await portStatuses(parts, ids))['ACTIVE'] === ids.length, 120_000).catch(() => undefined);
    record('portsActiveAfterBrokerBackMs', Date.now() - backAt);
    record('portStatuses', JSON.stringify(await portStatuses(parts, ids)));
    const queues = await parts.rabbit.queues();
    record('quorumServerTopicQueues', queues.filter((q) => q.name.startsWith('q-') && q.type === 'quorum').length);
  },
};

const DB_OUTAGE_MS = 30_000;
const dbOutage: FaultScript = {
  what: 'the database unreachable for 30 s (every Galera server of haproxy put in maintenance, their sessions cut), then back; nothing restarted',
  async inject(parts, record, t0) {
    await parts.haproxy.setDatabaseReachable(false);
    await sleep(DB_OUTAGE_MS);
    await parts.haproxy.setDatabaseReachable(true);
    record('databaseBackMs', since(t0()));
  },
};

const AGENT_CUT_MS = AGENT_DOWN_TIME_S * 1000 + 5_000;
const agentCutoff: FaultScript = {
  what: `one agent host (lab-compute-0002) loses the broker for ${AGENT_CUT_MS / 1000} s (agent_down_time and more), then comes back and resyncs`,
  async inject(parts, record, t0) {
    const host = parts.agents.hosts[1] as string;
    const before = parts.agents.status().find((a) => a.host === host)?.resyncs ?? 0;
    await parts.agents.disconnect(host);
    await eventually('the cut agent dead in the API', async () => (await aliveAgents(parts)) === parts.agents.hosts.length - 1, 60_000);
    record('seenDeadMs', since(t0()));
    await sleep(Math.max(0, AGENT_CUT_MS - since(t0())));
    const backAt = Date.now();
    await parts.agents.reconnect(host);
    await eventually('the agent resynced', async () => (parts.agents.status().find((a) => a.host === host)?.resyncs ?? 0) > before, 60_000);
    record('resyncedAfterReturnMs', Date.now() - backAt);
    await eventually('every agent alive in the API', async () => (await aliveAgents(parts)) === parts.agents.hosts.length, 60_000);
    record('aliveAfterReturnMs', Date.now() - backAt);
  },
};

const SCRIPTS: Record<FaultName, FaultScript> = {
  'server-kill': serverKill,
  'galera-kill': galeraKill,
  'rabbit-kill': rabbitKill,
  'broker-restart': brokerRestart,
  'db-outage': dbOutage,
  'agent-cutoff': agentCutoff,
};

function failureKind(record: RequestRecord): string {
  return `${record.status} ${record.errorType ?? record.connectionError ?? 'no NeutronError'}`;
}

export function clientView(report: LoadReport, t0: number): ClientView {
  const failuresByKind: Record<string, number> = {};
  const sampleMessages: Record<string, string> = {};
  for (const failure of report.failures) {
    const kind = failureKind(failure);
    failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
    sampleMessages[kind] ??= (failure.errorMessage ?? failure.connectionError ?? '').slice(0, 300);
  }
  const failures = report.failures;
  const window: [number, number] | null =
    failures.length === 0 ? null : [Math.min(...failures.map((f) => f.start)) - t0, Math.max(...failures.map((f) => f.end)) - t0];
  return {
    requests: report.requests.length,
    failures: failures.length,
    failuresByKind,
    failureWindowMs: window,
    status500: report.requests.filter((r) => r.status === 500).length,
    inFlightAtFault: inFlightAt(report, t0).length,
    byStatus: report.byStatus,
    latencyMs: report.latencyMs,
    sampleMessages,
    firstFailures: failures.slice(0, 40).map((f) => `${f.start - t0}..${f.end - t0} ms ${f.method} ${f.path} -> ${failureKind(f)}`),
  };
}

/** Whole: every cluster at full size, haproxy's servers all UP, every simulated agent alive. */
/**
 * A Galera node that died without being killed by the fault (mariadbd
 * crashed: it happened, signal 11 in a SELECT while a peer rejoined) is
 * started again, as systemd would, and said so in the results.
 */
async function restartCrashedGaleraNodes(parts: LabParts, problems: string[]): Promise<void> {
  for (const node of parts.galera.nodes) {
    if (parts.galera.process(node.index).alive()) continue;
    const crash = readFileSync(parts.galera.errorLog(node.index), 'utf8')
      .split('\n')
      .filter((line) => /got signal|^Query /.test(line))
      .map((line) => line.slice(0, 200))
      .join(' / ');
    problems.push(`${node.name} died on its own (${crash || 'no crash report in its error.log'}), started again by the lab`);
    parts.log(`  ${node.name} died on its own; starting it again`);
    await parts.galera.restart(node.index);
  }
}

async function waitWhole(parts: LabParts, timeoutMs: number, problems: string[]): Promise<void> {
  await restartCrashedGaleraNodes(parts, problems);
  await parts.galera.waitWhole(timeoutMs);
  await parts.rabbit.waitWhole(timeoutMs);
  await parts.haproxy.waitAllUp(timeoutMs);
  await eventually('every agent alive in the API', async () => (await aliveAgents(parts)) === parts.agents.hosts.length, timeoutMs);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function evidenceOf(violations: InvariantReport['violations'], report: LoadReport, t0: number): Record<string, string[]> {
  const evidence: Record<string, string[]> = {};
  for (const id of new Set(violations.flatMap((v) => v.detail.match(UUID) ?? []))) {
    evidence[id] = report.requests
      .filter((r) => r.path.includes(id))
      .map((r) => `${r.start - t0}..${r.end - t0} ms ${r.method} ${r.path} -> ${r.status} ${r.errorType ?? r.connectionError ?? ''}`.trim());
  }
  return evidence;
}

export async function runFault(name: FaultName, parts: LabParts): Promise<FaultResult> {
  const script = SCRIPTS[name];
  parts.log(`fault ${name}: ${script.what}`);
  await waitWhole(parts, 120_000, []);
  const load = await startLoad({ baseUrl: parts.haproxy.apiUrl, clients: 16 });
  const figures: Record<string, number | string> = {};
  const problems: string[] = [];
  await sleep(WARM_UP_MS);
  const t0 = Date.now();
  try {
    await script.inject(parts, (key, value) => (figures[key] = value), () => t0);
  } catch (err) {
    problems.push(`the fault's script failed: ${(err as Error).message}`);
  }
  let wholeAfterMs = -1;
  try {
    await waitWhole(parts, 180_000, problems);
    wholeAfterMs = since(t0);
  } catch (err) {
    problems.push(`not whole again: ${(err as Error).message}`);
  }
  await sleep(TAIL_MS);
  const report = await load.stop();
  const clients = clientView(report, t0);
  parts.log(`  whole after ${wholeAfterMs} ms; ${clients.failures} of ${clients.requests} requests failed ${JSON.stringify(clients.failuresByKind)}`);
  let invariants: FaultResult['invariants'];
  let evidence: Record<string, string[]> = {};
  try {
    const checked = await checkInvariants({
      baseUrl: parts.haproxy.apiUrl,
      databaseUrl: parts.databaseUrl,
      projects: [report.setup.projectId],
      acknowledged: report.acknowledged,
    });
    invariants = { violations: checked.violations, counts: checked.counts };
    evidence = evidenceOf(checked.violations, report, t0);
    if (checked.violations.length > 0) problems.push(`${checked.violations.length} invariant violation(s)`);
  } catch (err) {
    invariants = { error: (err as Error).message };
    problems.push(`invariants could not be checked: ${(err as Error).message}`);
  }
  if (clients.status500 > 0) problems.push(`${clients.status500} answers were 500`);
  if (name === 'db-outage' && !Object.keys(clients.failuresByKind).some((kind) => kind.startsWith('503'))) problems.push('no 503 seen while the database was away');
  if (name === 'broker-restart' && typeof figures['agentsAliveInApiAfterBrokerBackMs'] === 'number' && figures['agentsAliveInApiAfterBrokerBackMs'] > AGENTS_ALIVE_LIMIT_MS) {
    problems.push(`agents alive ${String(figures['agentsAliveInApiAfterBrokerBackMs'])} ms after the broker was back: over two report intervals`);
  }
  return { name, what: script.what, ok: problems.length === 0, problems, wholeAfterMs, figures, clients, invariants, evidence };
}

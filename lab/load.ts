/**
 * A create/update/delete load against one Neutron API URL (a server, or
 * haproxy in front of several), for the fault lab and the suite's fault test:
 *
 *   const load = await startLoad({ baseUrl, clients: 16 });
 *   ... kill something ...
 *   const report = await load.stop();
 *   failuresWithin(report, killedAt, killedAt + detectionMs);
 *
 * Each client builds small topologies in a loop (a network, a subnet: every
 * other one from a shared subnet pool so pool allocations race, ports with
 * and without fixed IPs, now and then one on a shared network at an address
 * other clients may want too, a security group and rules, a router with a
 * gateway and an interface, a floating IP), updates them, and tears down the
 * oldest once it keeps more than a few. Every request is recorded; what the
 * API acknowledged goes to a ledger (ledger.ts) for checkInvariants.
 */
import { Ledger, type LedgerCollection, type LedgerEntry } from './ledger.js';
import { type Caller, member, type NeutronAnswer, neutronRequest, text } from './neutronHttp.js';

export interface LoadOptions {
  /** The API's base URL, without /v2.0. */
  readonly baseUrl: string;
  /** Concurrent clients (default 16). */
  readonly clients?: number;
  /** A Keystone token with the admin role in its project (the set-up needs admin); noauth otherwise. */
  readonly token?: string;
  /** The project the load writes in: the token's project with a token; under noauth a random one by default. */
  readonly projectId?: string;
  /** A request unanswered after this long counts as a failure (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Seed of the clients' choices (default: from the clock). */
  readonly seed?: number;
  /** The external network's subnet, where routers' gateways and floating IPs come from (default 198.18.0.0/16). */
  readonly externalCidr?: string;
  /** The subnet pool's prefix (default 10.128.0.0/9, /28 each). */
  readonly poolPrefix?: string;
}

export interface RequestRecord {
  readonly client: number;
  /** Date.now() when sent and when answered (or given up). */
  readonly start: number;
  readonly end: number;
  readonly method: string;
  readonly path: string;
  /** 0: no answer (refused, reset, timed out). */
  readonly status: number;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly connectionError?: string;
}

export interface LoadSnapshot {
  readonly requests: number;
  readonly inFlight: number;
  readonly failures: number;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface LoadSetup {
  readonly projectId: string;
  /** Unset when the server has no router service plugin: the load then makes no routers nor floating IPs. */
  readonly externalNetworkId?: string;
  readonly subnetPoolId: string;
  readonly sharedNetworkId: string;
}

export interface LoadReport {
  readonly setup: LoadSetup;
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly requests: readonly RequestRecord[];
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byErrorType: Readonly<Record<string, number>>;
  /** No answer, or a 5xx. */
  readonly failures: readonly RequestRecord[];
  /** Of answered requests. */
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** The ledger: what must exist ('live'), what must be gone ('deleted'), what nobody can tell ('uncertain'). */
  readonly acknowledged: readonly LedgerEntry[];
}

export interface LoadHandle {
  readonly setup: LoadSetup;
  snapshot(): LoadSnapshot;
  /** Lets each client finish the request it is in, then reports. */
  stop(): Promise<LoadReport>;
}

const DEFAULT_CLIENTS = 16;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Topologies a client keeps before it tears down its oldest. */
const KEPT_TOPOLOGIES = 3;
/** Teardown attempts before a client leaves a topology be (e.g. a 409 that does not clear). */
const TEARDOWN_ATTEMPTS = 5;
const SHARED_CIDR = '10.250.0.0/24';
/** Addresses of the shared network the clients contend for on purpose. */
const CONTESTED_HOSTS = 8;
const UNLIMITED_QUOTAS = {
  network: -1,
  subnet: -1,
  subnetpool: -1,
  port: -1,
  router: -1,
  floatingip: -1,
  security_group: -1,
  security_group_rule: -1,
};

export const isFailure = (record: { status: number }): boolean => record.status === 0 || record.status >= 500;
const isAcknowledged = (answer: NeutronAnswer): boolean => answer.status >= 200 && answer.status < 300;

/** Requests that failed and were sent or answered within [from, to] (Date.now() values). */
export function failuresWithin(report: LoadReport, from: number, to: number): RequestRecord[] {
  return report.failures.filter((record) => record.end >= from && record.start <= to);
}

/** Requests open at instant t. */
export function inFlightAt(report: LoadReport, t: number): RequestRecord[] {
  return report.requests.filter((record) => record.start <= t && record.end >= t);
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

/** mulberry32: a seeded generator, so a run's choices can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ipv4Host(cidr: string, offset: number): string {
  const [address = ''] = cidr.split('/');
  const base = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const value = base + offset;
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function randomProjectId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/** Raised inside a client when the load stops, to leave its loop between requests. */
class Stopping extends Error {}

class Recorder {
  readonly records: RequestRecord[] = [];
  readonly ledger = new Ledger();
  inFlight = 0;
  stopped = false;

  constructor(
    private readonly baseUrl: string,
    private readonly caller: Caller,
    private readonly timeoutMs: number,
  ) {}

  async send(client: number, method: string, path: string, body?: unknown): Promise<NeutronAnswer> {
    if (this.stopped) throw new Stopping();
    const start = Date.now();
    this.inFlight += 1;
    const answer = await neutronRequest(this.baseUrl, this.caller, method, path, body, this.timeoutMs);
    this.inFlight -= 1;
    this.records.push({
      client,
      start,
      end: Date.now(),
      method,
      path,
      status: answer.status,
      ...(answer.errorType === undefined ? {} : { errorType: answer.errorType }),
      ...(answer.errorMessage === undefined ? {} : { errorMessage: answer.errorMessage }),
      ...(answer.connectionError === undefined ? {} : { connectionError: answer.connectionError }),
    });
    return answer;
  }
}

/** What one client built in one round, emptied as it is torn down. */
interface Topology {
  networkId?: string;
  subnetId?: string;
  securityGroupId?: string;
  routerId?: string;
  /** The subnet plugged into the router. */
  interfaceSubnetId?: string;
  floatingIpId?: string;
  ports: string[];
  teardownAttempts: number;
}

class LoadClient {
  private readonly kept: Topology[] = [];
  private round = 0;

  constructor(
    private readonly index: number,
    private readonly recorder: Recorder,
    private readonly setup: LoadSetup,
    private readonly random: () => number,
  ) {}

  async run(): Promise<void> {
    try {
      for (;;) {
        const topology: Topology = { ports: [], teardownAttempts: 0 };
        this.kept.push(topology);
        await this.build(topology);
        this.round += 1;
        const oldest = this.kept[0];
        if (oldest && this.kept.length > KEPT_TOPOLOGIES) {
          const done = await this.tearDown(oldest);
          if (done || oldest.teardownAttempts >= TEARDOWN_ATTEMPTS) this.kept.shift();
        }
      }
    } catch (err) {
      if (!(err instanceof Stopping)) throw err;
    }
  }

  private send(method: string, path: string, body?: unknown): Promise<NeutronAnswer> {
    return this.recorder.send(this.index, method, path, body);
  }

  /** POST; on a 2xx the new object goes to the ledger and its body is returned. */
  private async create(
    collection: LedgerCollection,
    key: string,
    attributes: Record<string, unknown>,
    parentId?: string,
  ): Promise<Record<string, unknown> | undefined> {
    const answer = await this.send('POST', `/v2.0/${collection}`, { [key]: attributes });
    if (!isAcknowledged(answer)) return undefined;
    const created = member(answer.body, key);
    this.recorder.ledger.created(collection, text(created, 'id'), text(created, 'name'), parentId);
    return created;
  }

  private async update(collection: LedgerCollection, key: string, id: string, attributes: Record<string, unknown>): Promise<boolean> {
    const answer = await this.send('PUT', `/v2.0/${collection}/${id}`, { [key]: attributes });
    const name = attributes['name'];
    if (typeof name === 'string' && (isAcknowledged(answer) || isFailure(answer))) {
      this.recorder.ledger.renamed(id, name, isAcknowledged(answer));
    }
    return isAcknowledged(answer);
  }

  /** DELETE; true once the object is known gone (a 2xx, or a 404). */
  private async remove(collection: LedgerCollection, id: string): Promise<boolean> {
    const answer = await this.send('DELETE', `/v2.0/${collection}/${id}`);
    if (isAcknowledged(answer)) this.recorder.ledger.deleteAnswered(id, 'deleted');
    else if (answer.status === 404) this.recorder.ledger.deleteAnswered(id, 'not-found');
    else if (isFailure(answer)) this.recorder.ledger.deleteAnswered(id, 'unknown');
    return isAcknowledged(answer) || answer.status === 404;
  }

  private name(what: string): string {
    return `load-c${this.index}-r${this.round}-${what}`;
  }

  private async build(t: Topology): Promise<void> {
    const network = await this.create('networks', 'network', { name: this.name('net') });
    if (!network) return;
    t.networkId = text(network, 'id');
    await this.update('networks', 'network', t.networkId, { name: this.name('net-renamed'), description: `round ${this.round}` });

    const fromPool = this.round % 2 === 0;
    const subnet = await this.create(
      'subnets',
      'subnet',
      {
        name: this.name('subnet'),
        network_id: t.networkId,
        ip_version: 4,
        ...(fromPool ? { subnetpool_id: this.setup.subnetPoolId, prefixlen: 28 } : { cidr: `10.${this.index % 128}.${this.round % 256}.0/24` }),
      },
      t.networkId,
    );
    if (!subnet) return;
    t.subnetId = text(subnet, 'id');
    const cidr = text(subnet, 'cidr');

    const group = await this.create('security-groups', 'security_group', { name: this.name('sg') });
    if (group) {
      t.securityGroupId = text(group, 'id');
      const port = 1000 + Math.floor(this.random() * 60_000);
      const rules: string[] = [];
      for (const protocol of ['tcp', 'udp']) {
        const rule = await this.create(
          'security-group-rules',
          'security_group_rule',
          { security_group_id: t.securityGroupId, direction: 'ingress', ethertype: 'IPv4', protocol, port_range_min: port, port_range_max: port },
          t.securityGroupId,
        );
        if (rule) rules.push(text(rule, 'id'));
      }
      await this.update('security-groups', 'security_group', t.securityGroupId, { name: this.name('sg-renamed'), description: 'updated' });
      const firstRule = rules[0];
      if (firstRule !== undefined) await this.remove('security-group-rules', firstRule);
    }

    const plain = await this.create(
      'ports',
      'port',
      { name: this.name('port'), network_id: t.networkId, ...(t.securityGroupId === undefined ? {} : { security_groups: [t.securityGroupId] }) },
      t.networkId,
    );
    if (plain) t.ports.push(text(plain, 'id'));
    const placed = await this.create('ports', 'port', { name: this.name('port-fixed'), network_id: t.networkId, fixed_ips: [{ subnet_id: t.subnetId }] }, t.networkId);
    if (placed) {
      const id = text(placed, 'id');
      t.ports.push(id);
      // An address of its own choosing: another port of the subnet may hold it already (a 409 is part of the load).
      await this.update('ports', 'port', id, { name: this.name('port-moved'), fixed_ips: [{ subnet_id: t.subnetId, ip_address: ipv4Host(cidr, 10 + Math.floor(this.random() * 3)) }] });
    }
    if (this.random() < 0.5) {
      const contested = ipv4Host(SHARED_CIDR, 10 + Math.floor(this.random() * CONTESTED_HOSTS));
      const port = await this.create('ports', 'port', { name: this.name('port-contested'), network_id: this.setup.sharedNetworkId, fixed_ips: [{ ip_address: contested }] }, this.setup.sharedNetworkId);
      if (port) t.ports.push(text(port, 'id'));
    }

    const externalNetworkId = this.setup.externalNetworkId;
    if (this.round % 2 === 1 || !plain || externalNetworkId === undefined) return;
    const router = await this.create('routers', 'router', { name: this.name('router'), external_gateway_info: { network_id: externalNetworkId } });
    if (!router) return;
    t.routerId = text(router, 'id');
    await this.update('routers', 'router', t.routerId, { name: this.name('router-renamed') });
    const plugged = await this.send('PUT', `/v2.0/routers/${t.routerId}/add_router_interface`, { subnet_id: t.subnetId });
    if (!isAcknowledged(plugged)) return;
    t.interfaceSubnetId = t.subnetId;
    const floating = await this.create('floatingips', 'floatingip', { floating_network_id: externalNetworkId, description: this.name('fip') });
    if (!floating) return;
    t.floatingIpId = text(floating, 'id');
    await this.update('floatingips', 'floatingip', t.floatingIpId, { port_id: text(plain, 'id') });
  }

  /** Deletes in the order Neutron allows; true when nothing is left. */
  private async tearDown(t: Topology): Promise<boolean> {
    t.teardownAttempts += 1;
    if (t.floatingIpId !== undefined) {
      if (!(await this.remove('floatingips', t.floatingIpId))) return false;
      delete t.floatingIpId;
    }
    if (t.routerId !== undefined && t.interfaceSubnetId !== undefined) {
      const answer = await this.send('PUT', `/v2.0/routers/${t.routerId}/remove_router_interface`, { subnet_id: t.interfaceSubnetId });
      if (!isAcknowledged(answer) && answer.status !== 404) return false;
      delete t.interfaceSubnetId;
    }
    if (t.routerId !== undefined) {
      if (!(await this.remove('routers', t.routerId))) return false;
      delete t.routerId;
    }
    for (const port of [...t.ports]) {
      if (!(await this.remove('ports', port))) return false;
      t.ports.shift();
    }
    if (t.subnetId !== undefined) {
      if (!(await this.remove('subnets', t.subnetId))) return false;
      delete t.subnetId;
    }
    if (t.networkId !== undefined) {
      if (!(await this.remove('networks', t.networkId))) return false;
      delete t.networkId;
    }
    if (t.securityGroupId !== undefined) {
      if (!(await this.remove('security-groups', t.securityGroupId))) return false;
      delete t.securityGroupId;
    }
    return true;
  }
}

async function setUp(baseUrl: string, admin: Caller, projectId: string, options: LoadOptions, timeoutMs: number): Promise<LoadSetup> {
  const must = async (method: string, path: string, body: unknown, key: string): Promise<string> => {
    const answer = await neutronRequest(baseUrl, admin, method, path, body, timeoutMs);
    if (!isAcknowledged(answer)) {
      throw new Error(`load set-up: ${method} ${path} answered ${answer.status} ${answer.errorType ?? answer.connectionError ?? ''} ${answer.errorMessage ?? ''}`);
    }
    return text(member(answer.body, key), 'id');
  };
  await must('PUT', `/v2.0/quotas/${projectId}`, { quota: UNLIMITED_QUOTAS }, 'quota');
  const routers = await neutronRequest(baseUrl, admin, 'GET', '/v2.0/extensions/router', undefined, timeoutMs);
  let externalNetworkId: string | undefined;
  if (routers.status === 200) {
    externalNetworkId = await must('POST', '/v2.0/networks', { network: { name: 'load-external', 'router:external': true } }, 'network');
    await must(
      'POST',
      '/v2.0/subnets',
      { subnet: { name: 'load-external', network_id: externalNetworkId, ip_version: 4, cidr: options.externalCidr ?? '198.18.0.0/16', enable_dhcp: false } },
      'subnet',
    );
  }
  const subnetPoolId = await must(
    'POST',
    '/v2.0/subnetpools',
    { subnetpool: { name: 'load-pool', prefixes: [options.poolPrefix ?? '10.128.0.0/9'], default_prefixlen: 28 } },
    'subnetpool',
  );
  const sharedNetworkId = await must('POST', '/v2.0/networks', { network: { name: 'load-contested' } }, 'network');
  await must('POST', '/v2.0/subnets', { subnet: { name: 'load-contested', network_id: sharedNetworkId, ip_version: 4, cidr: SHARED_CIDR, enable_dhcp: false } }, 'subnet');
  return { projectId, subnetPoolId, sharedNetworkId, ...(externalNetworkId === undefined ? {} : { externalNetworkId }) };
}

function countBy(records: readonly RequestRecord[], key: (record: RequestRecord) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) {
    const k = key(record);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** Sets up the project's external network, subnet pool and contested network (as admin), then starts the clients. */
export async function startLoad(options: LoadOptions): Promise<LoadHandle> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const projectId = options.projectId ?? randomProjectId();
  if (options.token !== undefined && options.projectId === undefined) throw new Error('startLoad: with a token, name its projectId');
  const admin: Caller = options.token === undefined ? { projectId, roles: ['admin'] } : { token: options.token };
  const memberCaller: Caller = options.token === undefined ? { projectId, roles: ['member', 'reader'] } : admin;
  const setup = await setUp(options.baseUrl, admin, projectId, options, timeoutMs);

  const recorder = new Recorder(options.baseUrl, memberCaller, timeoutMs);
  const random = seededRandom(options.seed ?? Date.now());
  const startedAt = Date.now();
  const clients = Array.from({ length: options.clients ?? DEFAULT_CLIENTS }, (_, index) =>
    new LoadClient(index, recorder, setup, seededRandom(Math.floor(random() * 2 ** 32))).run(),
  );

  return {
    setup,
    snapshot: () => ({
      requests: recorder.records.length,
      inFlight: recorder.inFlight,
      failures: recorder.records.filter(isFailure).length,
      byStatus: countBy(recorder.records, (record) => String(record.status)),
    }),
    async stop() {
      recorder.stopped = true;
      await Promise.all(clients);
      const requests = recorder.records;
      const latencies = requests
        .filter((record) => record.status !== 0)
        .map((record) => record.end - record.start)
        .sort((a, b) => a - b);
      return {
        setup,
        startedAt,
        stoppedAt: Date.now(),
        requests,
        byStatus: countBy(requests, (record) => String(record.status)),
        byErrorType: countBy(requests, (record) => record.errorType ?? record.connectionError),
        failures: requests.filter(isFailure),
        latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
        acknowledged: recorder.ledger.all(),
      };
    },
  };
}

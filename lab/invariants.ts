/**
 * The promises a Neutron API keeps whatever failed, checked after a load
 * (load.ts) once nothing writes any more:
 *
 *  (a) what the API acknowledged holds: an acknowledged create exists (with
 *      the name its last acknowledged update gave it) unless an acknowledged
 *      delete removed it, and an acknowledged delete is gone;
 *  (b) no address twice on a network, no MAC twice on a network (Neutron's
 *      unique key is per network: random MACs may repeat across networks), no
 *      segmentation id twice per type and physical network, no overlapping
 *      subnets on a network or from one subnet pool;
 *  (c) quota usage (GET /v2.0/quotas/{project}/details) equals what exists;
 *  (d) in the database itself, no IP allocation without its port, no
 *      floating IP whose port row is gone.
 *
 * (a) to (c) go through the API as an admin, (d) through Nucleon's tables.
 */
import ipaddr from 'ipaddr.js';
import { sql } from 'kysely';

import { openDatabase } from '../src/db/connect.js';
import { QUOTA_RESOURCES } from '../src/resources/extensions/quotas.js';
import type { LedgerCollection, LedgerEntry } from './ledger.js';
import { type Caller, listAll, member, neutronRequest, text } from './neutronHttp.js';

export interface InvariantOptions {
  readonly baseUrl: string;
  /** A Keystone token with the admin role; noauth otherwise. */
  readonly token?: string;
  /** `[database] connection` of the servers' database. */
  readonly databaseUrl: string;
  /** Projects whose quota usage is compared with what they own. */
  readonly projects: readonly string[];
  /** A load's ledger (LoadReport.acknowledged). */
  readonly acknowledged?: readonly LedgerEntry[];
  readonly requestTimeoutMs?: number;
}

export type InvariantCheck =
  | 'acknowledged-create-lost'
  | 'acknowledged-delete-undone'
  | 'acknowledged-update-lost'
  | 'duplicate-ip'
  | 'duplicate-mac'
  | 'duplicate-segmentation-id'
  | 'overlapping-subnets'
  | 'quota-usage'
  | 'ip-allocation-without-port'
  | 'floating-ip-without-port';

export interface Violation {
  readonly check: InvariantCheck;
  readonly detail: string;
}

export interface InvariantReport {
  /** How much each check looked at. */
  readonly counts: {
    readonly acknowledgedLive: number;
    readonly acknowledgedDeleted: number;
    readonly networks: number;
    readonly subnets: number;
    readonly ports: number;
    readonly addresses: number;
    readonly segments: number;
    readonly ipAllocations: number;
    readonly floatingIps: number;
    readonly projects: number;
  };
  readonly violations: readonly Violation[];
}

type ApiObject = Record<string, unknown>;

/** The collection each quota resource counts (QUOTA_RESOURCES). */
const QUOTA_COLLECTIONS: Record<(typeof QUOTA_RESOURCES)[number], string> = {
  network: 'networks',
  subnet: 'subnets',
  subnetpool: 'subnetpools',
  port: 'ports',
  router: 'routers',
  floatingip: 'floatingips',
  security_group: 'security-groups',
  security_group_rule: 'security-group-rules',
  rbac_policy: 'rbac-policies',
};

const LEDGER_COLLECTIONS: readonly LedgerCollection[] = ['networks', 'subnets', 'ports', 'security-groups', 'security-group-rules', 'routers', 'floatingips', 'subnetpools'];

/** Keys seen more than once, with what had them. */
function repeated(pairs: Iterable<[string, string]>): [string, string[]][] {
  const owners = new Map<string, string[]>();
  for (const [key, owner] of pairs) owners.set(key, [...(owners.get(key) ?? []), owner]);
  return [...owners].filter(([, list]) => list.length > 1);
}

function cidrRange(cidr: string): { first: bigint; last: bigint; version: number } {
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  const bytes = address.toByteArray();
  const first = bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
  const hostBits = BigInt(bytes.length * 8 - prefix);
  return { first, last: first | ((1n << hostBits) - 1n), version: address.kind() === 'ipv4' ? 4 : 6 };
}

/** Pairs of overlapping subnets among those given (sorted by start, each compared with the widest before it). */
function overlaps(subnets: readonly ApiObject[]): [string, string][] {
  const ranged = subnets
    .map((subnet) => ({ id: text(subnet, 'id'), cidr: text(subnet, 'cidr'), ...cidrRange(text(subnet, 'cidr')) }))
    .sort((a, b) => a.version - b.version || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const found: [string, string][] = [];
  let widest: (typeof ranged)[number] | undefined;
  for (const subnet of ranged) {
    if (widest && widest.version === subnet.version && subnet.first <= widest.last) {
      found.push([`${widest.id} ${widest.cidr}`, `${subnet.id} ${subnet.cidr}`]);
    }
    if (!widest || widest.version !== subnet.version || subnet.last > widest.last) widest = subnet;
  }
  return found;
}

function groupBy(objects: readonly ApiObject[], key: string): Map<string, ApiObject[]> {
  const groups = new Map<string, ApiObject[]>();
  for (const object of objects) {
    const value = text(object, key);
    if (value !== '') groups.set(value, [...(groups.get(value) ?? []), object]);
  }
  return groups;
}

function fixedIps(port: ApiObject): { ip_address: string }[] {
  const value = port['fixed_ips'];
  return Array.isArray(value) ? (value as { ip_address: string }[]) : [];
}

function checkAcknowledged(entries: readonly LedgerEntry[], existing: Map<string, ApiObject>): Violation[] {
  const violations: Violation[] = [];
  for (const entry of entries) {
    const found = existing.get(entry.id);
    if (entry.state === 'live' && !found) {
      violations.push({ check: 'acknowledged-create-lost', detail: `${entry.collection} ${entry.id} (${entry.name ?? '?'}) was acknowledged and is gone` });
    } else if (entry.state === 'live' && found && entry.name !== undefined && text(found, 'name') !== entry.name) {
      violations.push({ check: 'acknowledged-update-lost', detail: `${entry.collection} ${entry.id} is named '${text(found, 'name')}', its last acknowledged update said '${entry.name}'` });
    } else if (entry.state === 'deleted' && found) {
      violations.push({ check: 'acknowledged-delete-undone', detail: `${entry.collection} ${entry.id} was deleted (acknowledged) and still exists` });
    }
  }
  return violations;
}

function checkUniqueness(subnets: readonly ApiObject[], ports: readonly ApiObject[]): Violation[] {
  const violations: Violation[] = [];
  const addresses = ports.flatMap((port) => fixedIps(port).map((ip): [string, string] => [`${text(port, 'network_id')} ${ip.ip_address}`, text(port, 'id')]));
  for (const [key, owners] of repeated(addresses)) violations.push({ check: 'duplicate-ip', detail: `network/address ${key} held by ports ${owners.join(', ')}` });
  const macs = ports.map((port): [string, string] => [`${text(port, 'network_id')} ${text(port, 'mac_address')}`, text(port, 'id')]);
  for (const [key, owners] of repeated(macs)) violations.push({ check: 'duplicate-mac', detail: `network/MAC ${key} on ports ${owners.join(', ')}` });
  for (const [networkId, members] of groupBy(subnets, 'network_id')) {
    for (const [a, b] of overlaps(members)) violations.push({ check: 'overlapping-subnets', detail: `on network ${networkId}: ${a} and ${b}` });
  }
  for (const [poolId, members] of groupBy(subnets, 'subnetpool_id')) {
    for (const [a, b] of overlaps(members)) violations.push({ check: 'overlapping-subnets', detail: `from pool ${poolId}: ${a} and ${b}` });
  }
  return violations;
}

async function checkQuotaUsage(
  baseUrl: string,
  admin: Caller,
  projects: readonly string[],
  owned: (collection: string, projectId: string) => number,
  timeoutMs: number,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const projectId of projects) {
    const answer = await neutronRequest(baseUrl, admin, 'GET', `/v2.0/quotas/${projectId}/details`, undefined, timeoutMs);
    if (answer.status !== 200) throw new Error(`GET /v2.0/quotas/${projectId}/details: ${answer.status} ${answer.errorType ?? answer.connectionError ?? ''}`);
    const details = member(answer.body, 'quota');
    for (const resource of QUOTA_RESOURCES) {
      const used = (details[resource] as { used?: unknown } | undefined)?.used;
      const exists = owned(QUOTA_COLLECTIONS[resource], projectId);
      if (used !== exists) violations.push({ check: 'quota-usage', detail: `project ${projectId}: ${resource} used ${String(used)}, ${exists} exist` });
    }
  }
  return violations;
}

export async function checkInvariants(options: InvariantOptions): Promise<InvariantReport> {
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const admin: Caller = options.token === undefined ? { projectId: 'invariants', roles: ['admin'] } : { token: options.token };
  const collections = [...new Set<string>([...LEDGER_COLLECTIONS, ...Object.values(QUOTA_COLLECTIONS)])];
  const lists = new Map<string, ApiObject[]>();
  for (const collection of collections) lists.set(collection, await listAll(options.baseUrl, admin, collection, '', timeoutMs));
  const list = (collection: string): ApiObject[] => lists.get(collection) ?? [];
  const existing = new Map<string, ApiObject>();
  for (const collection of LEDGER_COLLECTIONS) for (const object of list(collection)) existing.set(text(object, 'id'), object);

  const acknowledged = options.acknowledged ?? [];
  const violations: Violation[] = [
    ...checkAcknowledged(acknowledged, existing),
    ...checkUniqueness(list('subnets'), list('ports')),
    ...(await checkQuotaUsage(
      options.baseUrl,
      admin,
      options.projects,
      (collection, projectId) => list(collection).filter((object) => text(object, 'project_id') === projectId).length,
      timeoutMs,
    )),
  ];

  const database = await openDatabase(options.databaseUrl);
  try {
    const { db } = database;
    const segments = await db
      .selectFrom('networksegments')
      .select(['network_type', 'physical_network', 'segmentation_id', sql<string>`count(*)`.as('holders')])
      .where('segmentation_id', 'is not', null)
      .groupBy(['network_type', 'physical_network', 'segmentation_id'])
      .execute();
    for (const segment of segments.filter((row) => Number(row.holders) > 1)) {
      violations.push({
        check: 'duplicate-segmentation-id',
        detail: `${segment.network_type}${segment.physical_network === null ? '' : `:${segment.physical_network}`} ${String(segment.segmentation_id)} on ${segment.holders} segments`,
      });
    }
    const orphanAllocations = await db
      .selectFrom('ipallocations as a')
      .leftJoin('ports as p', 'p.id', 'a.port_id')
      .where('p.id', 'is', null)
      .select(['a.ip_address', 'a.subnet_id', 'a.port_id'])
      .execute();
    for (const row of orphanAllocations) {
      violations.push({ check: 'ip-allocation-without-port', detail: `${row.ip_address} on subnet ${row.subnet_id} allocated to missing port ${row.port_id}` });
    }
    const orphanFloatingIps = await db
      .selectFrom('floatingips as f')
      .leftJoin('ports as internal', 'internal.id', 'f.floating_port_id')
      .leftJoin('ports as fixed', 'fixed.id', 'f.fixed_port_id')
      .where((eb) => eb.or([eb('internal.id', 'is', null), eb.and([eb('f.fixed_port_id', 'is not', null), eb('fixed.id', 'is', null)])]))
      .select(['f.id', 'f.floating_ip_address', 'f.floating_port_id', 'f.fixed_port_id', 'internal.id as internalPort'])
      .execute();
    for (const row of orphanFloatingIps) {
      const missing = row.internalPort === null ? `its own port ${row.floating_port_id}` : `the port it is associated with, ${String(row.fixed_port_id)}`;
      violations.push({ check: 'floating-ip-without-port', detail: `floating IP ${row.id} (${row.floating_ip_address}): ${missing} is missing` });
    }
    const [allocations] = await db.selectFrom('ipallocations').select(sql<string>`count(*)`.as('n')).execute();
    return {
      counts: {
        acknowledgedLive: acknowledged.filter((entry) => entry.state === 'live').length,
        acknowledgedDeleted: acknowledged.filter((entry) => entry.state === 'deleted').length,
        networks: list('networks').length,
        subnets: list('subnets').length,
        ports: list('ports').length,
        addresses: list('ports').reduce((n, port) => n + fixedIps(port).length, 0),
        segments: segments.reduce((n, row) => n + Number(row.holders), 0),
        ipAllocations: Number(allocations?.n ?? 0),
        floatingIps: list('floatingips').length,
        projects: options.projects.length,
      },
      violations,
    };
  } finally {
    await database.close();
  }
}

/** Throws an Error listing every violation (the first 50) when any check failed; returns the report otherwise. */
export async function assertInvariants(options: InvariantOptions): Promise<InvariantReport> {
  const report = await checkInvariants(options);
  if (report.violations.length > 0) {
    const shown = report.violations.slice(0, 50).map((v) => `  ${v.check}: ${v.detail}`);
    const more = report.violations.length > 50 ? [`  ... and ${report.violations.length - 50} more`] : [];
    throw new Error(`${report.violations.length} invariant violation(s):\n${[...shown, ...more].join('\n')}`);
  }
  return report;
}

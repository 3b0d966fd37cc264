/**
 * Which security groups a port uses, kept by subscribers to the core's
 * resource events (server/ wires them) and shown on ports by an extender:
 *
 * - a new network: its project gets its default group;
 * - a new port (inside its transaction): `security_groups` not given means
 *   the project's default group, `[]` (or null) none; ports owned by
 *   `network:*` (DHCP, routers) get none; the ids must be groups the port's
 *   project may use (its own or shared with it); port security off allows no groups;
 * - an updated port: a new list replaces the old one; turning port security
 *   off needs the groups removed (in the same request or before).
 */
import type { RequestContext } from '../../common/context.js';
import type { Db, Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import { groupByParent } from '../core/children.js';
import type { Extender } from '../core/deps.js';
import type { CoreEvents } from '../core/events.js';
import type { Condition } from '../core/listRows.js';
import { ensureDefaultGroup, type SecurityGroupDeps } from './defaultGroup.js';
import {
  PortSecurityAndIpRequiredForSecurityGroups,
  PortSecurityPortHasSecurityGroup,
  SecurityGroupConflict,
  SecurityGroupNotFound,
} from './errors.js';
import { groupsSharedWith } from './sharing.js';

type PortCreating = CoreEvents['port.precommit_create'];
type PortUpdating = CoreEvents['port.precommit_update'];
type NetworkAfter = CoreEvents['network.after_create'];

const EMPTY: readonly string[] = Object.freeze([]);

/** Ports the network itself owns (DHCP, routers, ...) are trusted: no security groups (net.is_port_trusted). */
const isTrusted = (port: ApiObject): boolean => String(port.device_owner ?? '').startsWith('network:');

/** The `security_groups` of a request: undefined when not given; null means none. */
function requestedGroups(request: ApiObject | undefined): readonly string[] | undefined {
  if (request === undefined || !Object.hasOwn(request, 'security_groups')) return undefined;
  const value = request.security_groups;
  return Array.isArray(value) ? value.map(String) : EMPTY;
}

const sameGroups = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((id) => b.includes(id));

export class PortSecurityGroups {
  constructor(private readonly deps: SecurityGroupDeps) {}

  /** `security_groups` of each port, ordered by group id. */
  readonly extender: Extender = async (db, ports) => {
    const bindings = await loadBindings(
      db,
      ports.map((p) => String(p.id)),
    );
    return new Map(ports.map((p) => [String(p.id), { security_groups: bindings.get(String(p.id)) ?? EMPTY }]));
  };

  /** network.after_create: the project will need its default group for the network's ports. */
  readonly networkCreated = async ({ ctx, current }: NetworkAfter): Promise<void> => {
    await ensureDefaultGroup(this.deps, ctx, current.project_id);
  };

  /** port.precommit_create */
  readonly portCreating = async ({ ctx, tx, current, request }: PortCreating): Promise<void> => {
    const project = String(current.project_id);
    const defaultGroup = await ensureDefaultGroup(this.deps, ctx, project, tx);
    const requested = requestedGroups(request);
    let groups: readonly string[];
    if (current.port_security_enabled !== true) {
      if (requested !== undefined && requested.length > 0) throw new PortSecurityAndIpRequiredForSecurityGroups();
      groups = EMPTY;
    } else if (isTrusted(current)) {
      groups = EMPTY;
    } else if (requested === undefined) {
      groups = defaultGroup === undefined ? EMPTY : [defaultGroup];
    } else {
      groups = await usableGroups(tx, ctx, project, requested);
    }
    await bind(tx, current.id, groups);
  };

  /**
   * port.precommit_update. The core presented `current` before this runs, so
   * the new list is also written into it (the object the client receives).
   */
  readonly portUpdating = async ({ ctx, tx, current, original, request }: PortUpdating): Promise<void> => {
    const project = String(current.project_id);
    await ensureDefaultGroup(this.deps, ctx, project, tx);
    const requested = requestedGroups(request);
    const before = original?.security_groups ?? EMPTY;
    if (current.port_security_enabled !== true) {
      if (requested !== undefined && requested.length > 0) throw new PortSecurityAndIpRequiredForSecurityGroups();
      if (requested === undefined && before.length > 0) throw new PortSecurityPortHasSecurityGroup();
    }
    if (requested === undefined || sameGroups(requested, before)) return;
    const groups = isTrusted(current) ? EMPTY : await usableGroups(tx, ctx, project, requested);
    await tx.deleteFrom('securitygroupportbindings').where('port_id', '=', current.id).execute();
    await bind(tx, current.id, groups);
    current.security_groups = [...groups].sort();
  };
}

/** The ports list filter `security_groups=<id>` (port-security-groups-filtering): ports using any of the groups. */
export const portsUsingGroups =
  (groupIds: readonly unknown[]): Condition =>
  (eb) =>
    eb(
      'ports.id',
      'in',
      eb.selectFrom('securitygroupportbindings as sg_binding').select('sg_binding.port_id').where('sg_binding.security_group_id', 'in', [...groupIds]),
    );

/**
 * The requested groups, if the port's project may use each (its own or
 * shared with it; any for an admin) and they are all stateful or all
 * stateless.
 */
async function usableGroups(tx: Tx, ctx: RequestContext, project: string, requested: readonly string[]): Promise<readonly string[]> {
  if (requested.length === 0) return EMPTY;
  const rows = await tx.selectFrom('securitygroups').select(['id', 'project_id', 'stateful']).where('id', 'in', [...requested]).execute();
  const shared = await groupsSharedWith(
    tx,
    project,
    rows.filter((row) => row.project_id !== project).map((row) => row.id),
  );
  const usable = rows.filter((row) => ctx.isAdmin || row.project_id === project || shared.has(row.id));
  const missing = requested.filter((id) => !usable.some((row) => row.id === id));
  if (missing.length > 0) throw new SecurityGroupNotFound(missing.join(', '));
  if (usable.some((row) => row.stateful === 1) && usable.some((row) => row.stateful !== 1)) {
    throw new SecurityGroupConflict('Cannot apply both stateful and stateless security groups on the same port at the same time');
  }
  return requested;
}

async function bind(tx: Tx, portId: string, groups: readonly string[]): Promise<void> {
  if (groups.length === 0) return;
  await tx
    .insertInto('securitygroupportbindings')
    .values(groups.map((security_group_id) => ({ port_id: portId, security_group_id })))
    .execute();
}

async function loadBindings(db: Db, portIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await groupByParent(
    portIds,
    (chunk) =>
      db
        .selectFrom('securitygroupportbindings')
        .select(['port_id', 'security_group_id'])
        .where('port_id', 'in', chunk)
        .orderBy('security_group_id')
        .execute(),
    (r) => r.port_id,
  );
  return new Map([...rows].map(([id, list]) => [id, list.map((r) => r.security_group_id)]));
}

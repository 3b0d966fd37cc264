import type { Selectable, Updateable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import {
  AddressPairAndPortSecurityRequired,
  AllowedAddressPairExhausted,
  DuplicateAddressPairInRequest,
  InvalidExtraDhcpOpt,
  InvalidInput,
  MacAddressGenerationFailure,
  MacAddressInUse,
  NetworkNotFound,
  PolicyNotAuthorized,
  PortBound,
  PortNotFound,
  UnsupportedPortDeviceOwner,
} from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, PortsTable, Tx } from '../../db/schema.js';
import { generateMac } from '../ipam/mac.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { groupByParent, loadTags } from './children.js';
import type { CoreDeps } from './deps.js';
import { dnsAssignment } from './dnsAssignment.js';
import { type AllocatedIp, FixedIpAllocator } from './fixedIpAllocator.js';
import { type Condition, type FilterCondition, listRows } from './listRows.js';
import { type StoredRows, storedRows } from './storedRows.js';
import { createAll, deleteOne, extend, notify, publish, updateOne } from './lifecycle.js';
import { checkRevision, nextRevision } from './revision.js';
import { ACCESS_SHARED, networkAccess, owns, visiblePorts } from './visibility.js';

type PortRow = Selectable<PortsTable>;

interface AddressPair {
  ip_address: string;
  mac_address: string;
}

interface DhcpOpt {
  opt_name: string;
  opt_value: string | null;
  ip_version: number;
}


/** A port a service plugin created, deleted or changed in its transaction: its after_* event is due once it commits. */
export type PortChange =
  | { readonly op: 'create'; readonly current: ApiObject }
  | { readonly op: 'delete'; readonly current: ApiObject }
  | { readonly op: 'update'; readonly current: ApiObject; readonly original: ApiObject };

const json = (value: unknown): string => JSON.stringify(value ?? {});

const UNBOUND = { vifType: 'unbound', vifDetails: {} } as const;

/** binding:vif_type of a port nothing has plugged (portbindings.VIF_UNPLUGGED_TYPES). */
const UNPLUGGED_VIF_TYPES: readonly string[] = ['unbound', 'binding_failed'];

/**
 * port-mac-override (ML2's _commit_port_binding): a direct-physical port
 * takes the MAC of the physical device it is bound to, which Nova gives as
 * `binding:profile` `device_mac_address`; bound without one, it gets a
 * fresh MAC, so that it does not keep the MAC of a device another port may
 * be bound to next.
 */
const VNIC_DIRECT_PHYSICAL = 'direct-physical';
const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The profile's device_mac_address, lower-cased; a value that is no MAC is refused (upstream would store it as it is). */
function deviceMacOf(profile: unknown): string | undefined {
  const value = typeof profile === 'object' && profile !== null ? (profile as Record<string, unknown>).device_mac_address : undefined;
  if (value === undefined || value === null || value === '') return undefined;
  const mac = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (mac === undefined || !MAC_PATTERN.test(mac)) throw new InvalidInput(`'${String(value)}' is not a valid MAC address`);
  return mac;
}

/**
 * A MAC changes (given, or regenerated from null) only on a port no driver
 * has bound as it was before the request (ML2's _check_mac_update_allowed),
 * and never on one the network owns (DHCP, routers).
 */
function checkMacChange(row: PortRow, deviceOwner: string, newMac: string): void {
  if (!UNPLUGGED_VIF_TYPES.includes(row.binding_vif_type)) throw new PortBound(row.id, row.binding_vif_type, row.mac_address, newMac);
  if (deviceOwner.startsWith('network:')) throw new UnsupportedPortDeviceOwner('mac address update', deviceOwner, row.id);
}

/** The columns of attributes whose extensions may not be loaded, as a port without them has them. */
const NEW_PORT = { description: '', dns_name: '', binding_host_id: '', binding_vnic_type: 'normal', binding_profile: '{}' };

/**
 * Most ports have empty lists; they share one frozen empty value, which
 * keeps a 10 000-port list from allocating tens of thousands of arrays that
 * are only serialised.
 */
const EMPTY_LIST: readonly never[] = Object.freeze([]);
const listOrEmpty = <T>(list: readonly T[] | undefined): readonly T[] => (list && list.length > 0 ? list : EMPTY_LIST);

/**
 * A service plugin's say over the ports API (routers keep their ports from
 * being deleted or renumbered directly): throw to refuse. Guards run inside
 * the request's transaction, on the port as it is; a port a service plugin
 * itself creates or deletes (`createWithin`, `deleteWithin`) passes none.
 */
export interface PortGuards {
  readonly delete: ((tx: Tx, port: ApiObject) => Promise<void>)[];
  readonly update: ((tx: Tx, port: ApiObject, changes: ApiObject) => Promise<void>)[];
}

export class PortService implements Collection {
  readonly keysetPaging = true;
  private readonly allocator: FixedIpAllocator;
  private readonly stored: StoredRows;
  readonly pluginFilters: ReadonlyMap<string, FilterCondition>;
  readonly guards: PortGuards = { delete: [], update: [] };

  constructor(private readonly deps: CoreDeps) {
    this.allocator = new FixedIpAllocator(deps);
    this.stored = storedRows(deps.api.resource('ports'));
    this.pluginFilters = deps.filters.of('port').set('fixed_ips', (values) => fixedIpCondition(values.map(String)));
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const rows = (await listRows(this.deps.db, this.stored.spec, query, visiblePorts(ctx), this.pluginFilters)) as unknown as PortRow[];
    return this.present(rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [port] = await this.present([await this.visibleRow(ctx, id)]);
    return port!;
  }

  create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    return createAll(this.deps, ctx, 'port', items, (tx, item) => this.createOne(ctx, tx, item));
  }

  /**
   * A port a service plugin creates inside its own transaction (a router's
   * interface or gateway), with the port's precommit subscribers; `item`
   * holds every attribute a create request would after defaults. The caller
   * publishes `port.after_create` once its transaction commits (`notify`).
   */
  async createWithin(tx: Tx, ctx: RequestContext, item: ApiObject): Promise<ApiObject> {
    const created = await this.createOne(ctx, tx, item);
    await publish(this.deps, 'port.precommit_create', { ctx, tx, current: created, request: item });
    const [current] = await extend(this.deps, 'port', tx, [created]);
    return current!;
  }

  /** A port a service plugin deletes inside its own transaction, with no guard; it notifies `port.after_delete` after commit. */
  async deleteWithin(tx: Tx, ctx: RequestContext, id: string): Promise<ApiObject> {
    const [current] = await this.present([await this.row(id, tx)], tx);
    await publish(this.deps, 'port.precommit_delete', { ctx, tx, current: current! });
    await this.removeRows(tx, id);
    return current!;
  }

  /** fixed_ips of a port a service plugin changes inside its transaction (an IPv6 prefix joining a router's interface). */
  async changeWithin(tx: Tx, ctx: RequestContext, id: string, changes: ApiObject): Promise<{ original: ApiObject; current: ApiObject }> {
    const row = await this.row(id, tx);
    const [original] = await this.present([row], tx);
    if ('fixed_ips' in changes) {
      await this.allocator.reallocate(tx, {
        portId: id,
        networkId: row.network_id,
        mac: row.mac_address,
        deviceOwner: 'device_owner' in changes ? String(changes.device_owner) : row.device_owner,
        requested: changes.fixed_ips as readonly Record<string, string>[] | undefined,
      });
    }
    const patch = this.stored.toColumns(changes) as Updateable<PortsTable>;
    await tx.updateTable('ports').set({ ...patch, ...nextRevision() }).where('id', '=', id).execute();
    const [current] = await this.present([await this.row(id, tx)], tx);
    await publish(this.deps, 'port.precommit_update', { ctx, tx, original: original!, current: current!, request: changes });
    return { original: original!, current: current! };
  }

  /** The after_* events of ports a service plugin changed, once its transaction has committed. */
  async notify(ctx: RequestContext, changed: readonly PortChange[]): Promise<void> {
    for (const change of changed) {
      if (change.op === 'create') await notify(this.deps, 'port.after_create', { ctx, current: change.current });
      else if (change.op === 'delete') await notify(this.deps, 'port.after_delete', { ctx, current: change.current });
      else await notify(this.deps, 'port.after_update', { ctx, current: change.current, original: change.original });
    }
  }

  private async createOne(ctx: RequestContext, tx: Tx, item: ApiObject): Promise<ApiObject> {
    const networkId = String(item.network_id);
    const network = await tx.selectFrom('networks').selectAll().where('id', '=', networkId).executeTakeFirst();
    // Ports go on networks the caller owns or that are shared with it; external ones are only for routers.
    if (!network || !(owns(ctx, network) || (await networkAccess(tx, ctx, networkId)).has(ACCESS_SHARED))) throw new NetworkNotFound(networkId);

    const id = newId();
    const requested = { ...NEW_PORT, ...this.stored.toColumns(item) } as PortRow;
    let mac = typeof item.mac_address === 'string' ? await this.claimMac(tx, networkId, item.mac_address) : await this.newMac(tx, networkId);
    if (requested.binding_host_id !== '' && requested.binding_vnic_type === VNIC_DIRECT_PHYSICAL) {
      mac = await this.physicalMac(tx, networkId, mac, item['binding:profile']);
    }
    const portSecurity = typeof item.port_security_enabled === 'boolean' ? item.port_security_enabled : network.port_security_enabled === 1;
    const pairs = addressPairs(item.allowed_address_pairs, mac, portSecurity, this.deps.options.maxAllowedAddressPairs);
    const dhcpOpts = mergeDhcpOpts([], item.extra_dhcp_opts);
    const now = utcNow();
    // The request's stored attributes (defaults filled by api/) over what a port starts with (`requested`, above).
    const row: PortRow = {
      ...requested,
      id,
      revision_number: 0,
      created_at: now,
      updated_at: now,
      network_id: networkId,
      mac_address: mac,
      status: 'DOWN',
      port_security_enabled: portSecurity ? 1 : 0,
      ip_allocation: 'immediate',
      ...(await this.bind(tx, id, networkId, requested.binding_host_id, requested.binding_vnic_type)),
    };
    await tx.insertInto('ports').values(row).execute();
    const ips = await this.allocator.allocate(tx, {
      portId: id,
      networkId,
      mac,
      deviceOwner: row.device_owner,
      requested: item.fixed_ips as readonly Record<string, string>[] | undefined,
    });
    await insertChildren(tx, id, pairs, dhcpOpts);
    return this.toApi(row, ips, pairs, dhcpOpts, []);
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return updateOne(this.deps, ctx, 'port', changes, async (tx) => {
      const row = await this.ownedRow(ctx, id, 'update_port', tx);
      checkRevision(row.revision_number, expectedRevision);
      const [original] = await this.present([row], tx);
      for (const guard of this.guards.update) await guard(tx, original!, changes);
      const patch = this.stored.toColumns(changes) as Updateable<PortsTable>;
      const host = 'binding:host_id' in changes ? String(changes['binding:host_id']) : row.binding_host_id;
      const vnic = 'binding:vnic_type' in changes ? String(changes['binding:vnic_type']) : row.binding_vnic_type;
      const profile = 'binding:profile' in changes ? changes['binding:profile'] : (JSON.parse(row.binding_profile) as unknown);
      // A direct-physical port's profile names its device (port-mac-override): a new one binds it again, as ML2 does.
      const newDevice = vnic === VNIC_DIRECT_PHYSICAL && 'binding:profile' in changes && json(profile) !== row.binding_profile;
      // The binding is committed (ML2's `commit`) when the port was not bound, or is bound anew.
      let bindingCommitted = false;
      if ('binding:host_id' in changes || 'binding:vnic_type' in changes || newDevice) {
        Object.assign(patch, await this.bind(tx, id, row.network_id, host, vnic));
        const moved = host !== row.binding_host_id || vnic !== row.binding_vnic_type;
        // As ML2: a port bound somewhere else (or unbound) is DOWN until the new host's agent reports it up.
        if (moved) patch.status = 'DOWN';
        bindingCommitted = host !== '' && (moved || newDevice || UNPLUGGED_VIF_TYPES.includes(row.binding_vif_type));
      }
      let mac = row.mac_address;
      if (typeof changes.mac_address === 'string' && changes.mac_address !== row.mac_address) {
        mac = await this.claimMac(tx, row.network_id, changes.mac_address);
      } else if (changes.mac_address === null) {
        // port-mac-address-regenerate: null asks for a fresh one from base_mac.
        mac = await this.newMac(tx, row.network_id);
      }
      if (mac !== row.mac_address) checkMacChange(row, 'device_owner' in changes ? String(changes.device_owner) : row.device_owner, mac);
      if (bindingCommitted && vnic === VNIC_DIRECT_PHYSICAL) mac = await this.physicalMac(tx, row.network_id, mac, profile);
      patch.mac_address = mac;
      const portSecurity =
        typeof changes.port_security_enabled === 'boolean' ? changes.port_security_enabled : row.port_security_enabled === 1;
      patch.port_security_enabled = portSecurity ? 1 : 0;

      const oldPairs = (original!.allowed_address_pairs as AddressPair[]) ?? [];
      const pairs =
        'allowed_address_pairs' in changes
          ? addressPairs(changes.allowed_address_pairs, mac, portSecurity, this.deps.options.maxAllowedAddressPairs)
          : oldPairs;
      if (!portSecurity && pairs.length > 0) throw new AddressPairAndPortSecurityRequired();
      const dhcpOpts = mergeDhcpOpts((original!.extra_dhcp_opts as DhcpOpt[]) ?? [], changes.extra_dhcp_opts);

      // A new MAC re-derives SLAAC addresses even when fixed_ips is not in the request.
      if ('fixed_ips' in changes || mac !== row.mac_address) {
        await this.allocator.reallocate(tx, {
          portId: id,
          networkId: row.network_id,
          mac,
          previousMac: row.mac_address,
          deviceOwner: 'device_owner' in changes ? String(changes.device_owner) : row.device_owner,
          requested: changes.fixed_ips as readonly Record<string, string>[] | undefined,
        });
      }
      await tx.updateTable('ports').set({ ...patch, ...nextRevision() }).where('id', '=', id).execute();
      await tx.deleteFrom('allowed_address_pairs').where('port_id', '=', id).execute();
      await tx.deleteFrom('extra_dhcp_opts').where('port_id', '=', id).execute();
      await insertChildren(tx, id, pairs, dhcpOpts);
      const [current] = await this.present([await this.row(id, tx)], tx);
      return { original: original!, current: current! };
    });
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    await deleteOne(
      this.deps,
      ctx,
      'port',
      async (tx) => {
        // The network's owner may delete other projects' ports on it (delete_port's rule decides, as upstream).
        const row = await this.visibleRow(ctx, id, tx);
        checkRevision(row.revision_number, expectedRevision);
        const [current] = await this.present([row], tx);
        for (const guard of this.guards.delete) await guard(tx, current!);
        return current!;
      },
      (tx) => this.removeRows(tx, id),
    );
  }

  private async removeRows(tx: Tx, id: string): Promise<void> {
    await tx.deleteFrom('ipallocations').where('port_id', '=', id).execute();
    await tx.deleteFrom('ports').where('id', '=', id).execute();
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
  }

  private async row(id: string, db: Db): Promise<PortRow> {
    const row = await db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PortNotFound(id);
    return row;
  }

  private async visibleRow(ctx: RequestContext, id: string, db: Db = this.deps.db): Promise<PortRow> {
    const row = await this.row(id, db);
    if (owns(ctx, row)) return row;
    const network = await db.selectFrom('networks').select('project_id').where('id', '=', row.network_id).executeTakeFirst();
    if (network && network.project_id === ctx.projectId) return row;
    throw new PortNotFound(id);
  }

  private async ownedRow(ctx: RequestContext, id: string, action: string, db: Db): Promise<PortRow> {
    const row = await this.visibleRow(ctx, id, db);
    if (!owns(ctx, row)) {
      // The network's owner sees the port but may not change it.
      throw new PolicyNotAuthorized(action);
    }
    return row;
  }

  /** The binding columns: `unbound` without a host, else what the binder (ML2) decides. */
  private async bind(tx: Tx, portId: string, networkId: string, hostId: string, vnicType: string) {
    const binder = this.deps.binding.bind;
    const result = hostId === '' || !binder ? UNBOUND : await binder(tx, { portId, networkId, hostId, vnicType });
    return { binding_vif_type: result.vifType, binding_vif_details: json(result.vifDetails) };
  }

  /** port-mac-override: the device's MAC from the profile (if no other port on the network has it), else a fresh one. */
  private async physicalMac(tx: Tx, networkId: string, currentMac: string, profile: unknown): Promise<string> {
    const deviceMac = deviceMacOf(profile);
    if (deviceMac === undefined) return this.newMac(tx, networkId);
    return deviceMac === currentMac ? currentMac : this.claimMac(tx, networkId, deviceMac);
  }

  /** A MAC the client asked for, if no other port on the network has it. */
  private async claimMac(tx: Tx, networkId: string, mac: string): Promise<string> {
    if (await macTaken(tx, networkId, mac)) throw new MacAddressInUse(networkId, mac);
    return mac;
  }

  /** A fresh MAC from base_mac. A clash that slips past this check is caught by the unique key and the transaction retried. */
  private async newMac(tx: Tx, networkId: string): Promise<string> {
    for (let attempt = 0; attempt < this.deps.options.macGenerationRetries; attempt++) {
      const mac = generateMac(this.deps.options.baseMac, this.deps.random);
      if (!(await macTaken(tx, networkId, mac))) return mac;
    }
    throw new MacAddressGenerationFailure(networkId);
  }

  async present(rows: readonly PortRow[], db: Db = this.deps.db): Promise<ApiObject[]> {
    const ids = rows.map((r) => r.id);
    const [ips, pairs, opts, tags] = await Promise.all([
      groupByParent(
        ids,
        (chunk) => db.selectFrom('ipallocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute(),
        (r) => r.port_id,
      ),
      groupByParent(
        ids,
        (chunk) => db.selectFrom('allowed_address_pairs').selectAll().where('port_id', 'in', chunk).execute(),
        (r) => r.port_id,
      ),
      groupByParent(
        ids,
        (chunk) => db.selectFrom('extra_dhcp_opts').selectAll().where('port_id', 'in', chunk).execute(),
        (r) => r.port_id,
      ),
      loadTags(db, ids),
    ]);
    const objects = rows.map((row) =>
      this.toApi(
        row,
        listOrEmpty(ips.get(row.id)?.map((r) => ({ subnet_id: r.subnet_id, ip_address: r.ip_address }))),
        listOrEmpty(pairs.get(row.id)?.map((r) => ({ ip_address: r.ip_address, mac_address: r.mac_address }))),
        listOrEmpty(opts.get(row.id)?.map((r) => ({ opt_name: r.opt_name, opt_value: r.opt_value, ip_version: r.ip_version }))),
        listOrEmpty(tags.get(row.id)),
      ),
    );
    return extend(this.deps, 'port', db, objects);
  }

  private toApi(
    row: PortRow,
    ips: readonly AllocatedIp[],
    pairs: readonly AddressPair[],
    opts: readonly DhcpOpt[],
    tags: readonly string[],
  ): ApiObject {
    const port = this.stored.toObject(row);
    port.fixed_ips = ips;
    port.allowed_address_pairs = pairs;
    port.extra_dhcp_opts = opts;
    port.dns_assignment = dnsAssignment(row.dns_name, ips, this.deps.options.dnsDomain);
    port.tags = tags;
    return port;
  }

}

/** `fixed_ips=ip_address=X`, `fixed_ips=subnet_id=Y`, `fixed_ips=ip_address_substr=Z`: all must hold on one address. */
function fixedIpCondition(raw: readonly string[]): Condition {
  const byKey = new Map<string, string[]>();
  for (const entry of raw) {
    const at = entry.indexOf('=');
    if (at < 0) continue;
    const key = entry.slice(0, at);
    byKey.set(key, [...(byKey.get(key) ?? []), entry.slice(at + 1)]);
  }
  if (byKey.size === 0) return (eb) => eb.lit(true);
  return (eb) => {
    let sub = eb.selectFrom('ipallocations').select('ipallocations.port_id');
    for (const [key, values] of byKey) {
      if (key === 'ip_address') sub = sub.where('ipallocations.ip_address', 'in', values);
      else if (key === 'subnet_id') sub = sub.where('ipallocations.subnet_id', 'in', values);
      else if (key === 'ip_address_substr') {
        sub = sub.where((e) => e.or(values.map((v) => e('ipallocations.ip_address', 'like', `%${v.replace(/[%_\\]/g, '\\$&')}%`))));
      }
    }
    return eb('ports.id', 'in', sub);
  };
}

function addressPairs(input: unknown, portMac: string, portSecurity: boolean, max: number): AddressPair[] {
  const list = (input ?? []) as readonly { ip_address: string; mac_address?: string }[];
  if (list.length > 0 && !portSecurity) throw new AddressPairAndPortSecurityRequired();
  if (list.length > max) throw new AllowedAddressPairExhausted(max);
  const seen = new Set<string>();
  return list.map((pair) => {
    const mac = pair.mac_address ?? portMac;
    const key = `${mac}|${pair.ip_address}`;
    if (seen.has(key)) throw new DuplicateAddressPairInRequest(mac, pair.ip_address);
    seen.add(key);
    return { ip_address: pair.ip_address, mac_address: mac };
  });
}

/** Neutron's update semantics: entries replace same-named options, `opt_value: null` removes one, others stay. */
function mergeDhcpOpts(existing: readonly DhcpOpt[], input: unknown): DhcpOpt[] {
  const merged = new Map(existing.map((o) => [`${o.ip_version}|${o.opt_name}`, o]));
  const seen = new Set<string>();
  for (const opt of (input ?? []) as readonly { opt_name: string; opt_value?: string | null; ip_version?: number }[]) {
    const version = opt.ip_version ?? 4;
    const key = `${version}|${opt.opt_name}`;
    if (seen.has(key)) throw new InvalidExtraDhcpOpt(`duplicate option ${opt.opt_name}`);
    seen.add(key);
    if (opt.opt_value === null || opt.opt_value === undefined) merged.delete(key);
    else merged.set(key, { opt_name: opt.opt_name, opt_value: opt.opt_value, ip_version: version });
  }
  return [...merged.values()];
}

async function macTaken(tx: Tx, networkId: string, mac: string): Promise<boolean> {
  const row = await tx
    .selectFrom('ports')
    .select('id')
    .where('network_id', '=', networkId)
    .where('mac_address', '=', mac)
    .executeTakeFirst();
  return row !== undefined;
}

async function insertChildren(tx: Tx, portId: string, pairs: readonly AddressPair[], opts: readonly DhcpOpt[]): Promise<void> {
  if (pairs.length > 0) await tx.insertInto('allowed_address_pairs').values(pairs.map((p) => ({ port_id: portId, ...p }))).execute();
  if (opts.length > 0) await tx.insertInto('extra_dhcp_opts').values(opts.map((o) => ({ port_id: portId, ...o }))).execute();
}

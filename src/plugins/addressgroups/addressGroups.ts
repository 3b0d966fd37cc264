/**
 * The `address-groups` collection (neutron/db/address_group_db.py): rows of
 * `address_groups` served by StoredCollection, their addresses in
 * `address_associations`, `shared` derived from addressgrouprbacs. What is
 * the groups' own:
 * - addresses are stored normalised (`192.168.0.10/24` -> `192.168.0.0/24`),
 *   each once;
 * - add_addresses refuses an address the group has (400
 *   AddressesAlreadyExist), remove_addresses one it lacks (404
 *   AddressesNotFound), both text that is no address (400 AddrFormatError),
 *   and answer `{"address_group": {...}}`;
 * - a group that security group rules name stays (409 AddressGroupInUse).
 */
import type { RequestContext } from '../../common/context.js';
import { BadRequest, NeutronError } from '../../common/errors.js';
import type { Db, Tx } from '../../db/schema.js';
import { cidrOf, formatCidr, parseCidr, parseIpWithPrefix } from '../ipam/cidr.js';
import type { ApiObject } from '../collection.js';
import { groupByParent } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';
import { rbacSharing } from '../core/rbacSharing.js';
import { StoredCollection } from '../core/storedCollection.js';
import { ACCESS_SHARED } from '../core/visibility.js';

/** Python's repr() of a list of strings, as upstream's messages print the addresses. */
const pyList = (items: readonly string[]): string => `[${items.map((i) => `'${i}'`).join(', ')}]`;

export class AddressGroupInUse extends NeutronError {
  constructor(id: string) {
    super(409, 'AddressGroupInUse', `Address group ${id} is in use on one or more security group rules.`);
  }
}

export class AddressesNotFound extends NeutronError {
  constructor(addresses: readonly string[], id: string) {
    super(404, 'AddressesNotFound', `Addresses ${pyList(addresses)} not found in the address group ${id}.`);
  }
}

export class AddressesAlreadyExist extends NeutronError {
  constructor(addresses: readonly string[], id: string) {
    super(400, 'AddressesAlreadyExist', `Addresses ${pyList(addresses)} already exist in the address group ${id}.`);
  }
}

/** netaddr's error for text that is no network; upstream maps it to 400 under its own name. */
export class AddrFormatError extends NeutronError {
  constructor(text: string) {
    super(400, 'AddrFormatError', `invalid IPNetwork ${text}`);
  }
}

/** Address groups are shared through addressgrouprbacs. */
export const addressGroupSharing = rbacSharing('addressgrouprbacs', 'address_groups');

/** `10.0.0.5/24` -> `10.0.0.0/24`, a bare address as its host network (netaddr.IPNetwork). */
function normalizedAddress(value: unknown): string {
  const parsed = typeof value === 'string' ? parseIpWithPrefix(value.trim()) : null;
  if (parsed === null) throw new AddrFormatError(typeof value === 'string' ? value : JSON.stringify(value));
  return formatCidr(cidrOf(parsed.ip, parsed.prefixLen));
}

/** Each address once, normalised, in the order given (upstream works on a set of them). */
const normalizedAddresses = (values: readonly unknown[]): string[] => [...new Set(values.map(normalizedAddress))];

/** An action's body: `{"addresses": [...]}`. */
function requestedAddresses(body: ApiObject): string[] {
  if (!Array.isArray(body.addresses)) throw new BadRequest('Request body contains invalid data');
  return normalizedAddresses(body.addresses);
}

/** What an add_addresses / remove_addresses changes, once checked against the group. */
interface AddressEdit {
  readonly op: 'add' | 'remove';
  readonly addresses: readonly string[];
}

/** Address order: IPv4 first, then by network and prefix length. */
function compareAddresses(a: string, b: string): number {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (x === null || y === null) return a < b ? -1 : a > b ? 1 : 0;
  if (x.version !== y.version) return x.version - y.version;
  if (x.network !== y.network) return x.network < y.network ? -1 : 1;
  return x.prefixLen - y.prefixLen;
}

/** Each group's addresses, in address order. */
async function presentGroups(db: Db, objects: readonly ApiObject[]): Promise<ReadonlyMap<string, ApiObject>> {
  const addresses = await groupByParent(
    objects.map((o) => String(o.id)),
    (chunk) => db.selectFrom('address_associations').select(['address_group_id', 'address']).where('address_group_id', 'in', chunk).execute(),
    (row) => row.address_group_id,
  );
  return new Map(
    objects.map((o) => [String(o.id), { addresses: (addresses.get(String(o.id)) ?? []).map((r) => r.address).sort(compareAddresses) }]),
  );
}

/**
 * Whether a security group rule of `projectId` may name the group
 * (check_address_group): an admin any, others their project's own or one
 * shared with it.
 */
export async function addressGroupUsable(db: Db, ctx: RequestContext, id: string, projectId: string): Promise<boolean> {
  const row = await db
    .selectFrom('address_groups')
    .select('id')
    .where('id', '=', id)
    .$if(!ctx.isAdmin, (q) =>
      q.where((eb) =>
        eb.or([
          eb('project_id', '=', projectId),
          eb(
            'id',
            'in',
            eb.selectFrom('addressgrouprbacs').select('object_id').where('action', '=', ACCESS_SHARED).where('target_project', 'in', ['*', projectId]),
          ),
        ]),
      ),
    )
    .executeTakeFirst();
  return row !== undefined;
}

/** The address groups collection (`collection`), with its actions' own checks and storage. */
export class AddressGroupService {
  readonly collection: StoredCollection;
  /** The checked edit behind each change an action asks of the stored collection. */
  private readonly edits = new WeakMap<ApiObject, AddressEdit>();

  constructor(deps: CoreDeps) {
    this.collection = new StoredCollection(deps, deps.api.resource('address-groups'), {
      ...addressGroupSharing.behaviour,
      completeCreate: async (_tx, _ctx, item) => ({ ...item, addresses: normalizedAddresses((item.addresses as unknown[] | null | undefined) ?? []) }),
      completeUpdate: async (_tx, _ctx, current, changes) => {
        const edit = this.edits.get(changes);
        if (edit !== undefined) checkEdit(String(current.id), current.addresses as string[], edit);
        return changes;
      },
      storeRelated: (tx, id, values) => this.storeAddresses(tx, id, values),
      checkDelete: async (tx, _ctx, current) => {
        const rule = await tx.selectFrom('securitygrouprules').select('id').where('remote_address_group_id', '=', String(current.id)).executeTakeFirst();
        if (rule !== undefined) throw new AddressGroupInUse(String(current.id));
      },
      actions: {
        add_addresses: (ctx, id, body) => this.edit(ctx, id, { op: 'add', addresses: requestedAddresses(body) }),
        remove_addresses: (ctx, id, body) => this.edit(ctx, id, { op: 'remove', addresses: requestedAddresses(body) }),
      },
    });
    deps.extenders.of('address_group').push(presentGroups);
  }

  /** An action is an update of the group (its revision moves, its events are published), answered as upstream: the group, `shared` left out. */
  private async edit(ctx: RequestContext, id: string, edit: AddressEdit): Promise<ApiObject> {
    const changes: ApiObject = {};
    this.edits.set(changes, edit);
    const { shared: _shared, ...group } = await this.collection.update(ctx, id, changes);
    return { address_group: group };
  }

  private async storeAddresses(tx: Tx, id: string, values: ApiObject): Promise<void> {
    const edit = this.edits.get(values);
    if (edit?.op === 'remove') {
      await tx.deleteFrom('address_associations').where('address_group_id', '=', id).where('address', 'in', edit.addresses).execute();
      return;
    }
    // A create's addresses, or those an add_addresses brings; two adding one address at once meet at the table's key.
    const added = edit?.addresses ?? (values.addresses as string[] | undefined) ?? [];
    if (added.length > 0) await tx.insertInto('address_associations').values(added.map((address) => ({ address, address_group_id: id }))).execute();
  }
}

/** All of an add's addresses must be new, all of a remove's present. */
function checkEdit(id: string, had: readonly string[], edit: AddressEdit): void {
  const present = new Set(had);
  if (edit.op === 'add') {
    const existing = edit.addresses.filter((a) => present.has(a));
    if (existing.length > 0) throw new AddressesAlreadyExist(existing, id);
  } else {
    const missing = edit.addresses.filter((a) => !present.has(a));
    if (missing.length > 0) throw new AddressesNotFound(missing, id);
  }
}

/**
 * A network's RBAC entries as the network itself changes them
 * (neutron/db/db_base_plugin_v2.py, neutron/db/external_net_db.py):
 * `shared: true` is a '*' access_as_shared entry, `router:external: true` a
 * '*' access_as_external one; and the checks that keep a project from losing
 * access to a network it still uses.
 */
import { InvalidSharedSetting, NeutronError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Tx } from '../../db/schema.js';
import { ACCESS_EXTERNAL, ACCESS_SHARED, type NetworkRbacAction } from './visibility.js';

export class ExternalNetworkInUse extends NeutronError {
  constructor(networkId: string) {
    super(409, 'ExternalNetworkInUse', `External network ${networkId} cannot be updated to be made non-external, since it has existing gateway ports.`);
  }
}

const ROUTER_GATEWAY = 'network:router_gateway';

interface NetworkRef {
  readonly id: string;
  readonly project_id: string;
  readonly name: string;
}

/** The network's '*' entry of this action, if it has one. */
export async function wildcardEntry(tx: Tx, networkId: string, action: NetworkRbacAction): Promise<string | undefined> {
  const row = await tx
    .selectFrom('networkrbacs')
    .select('id')
    .where('object_id', '=', networkId)
    .where('action', '=', action)
    .where('target_project', '=', '*')
    .executeTakeFirst();
  return row?.id;
}

/** Adds the '*' entry of this action in the network owner's name, unless there is one. */
export async function grantToAll(tx: Tx, network: NetworkRef, action: NetworkRbacAction): Promise<void> {
  if ((await wildcardEntry(tx, network.id, action)) !== undefined) return;
  await tx
    .insertInto('networkrbacs')
    .values({ id: newId(), project_id: network.project_id, target_project: '*', action, object_id: network.id })
    .execute();
}

/** The projects the network's entries of this action name (all but '*'). */
export async function namedTargets(tx: Tx, networkId: string, action: NetworkRbacAction): Promise<string[]> {
  const entries = await tx
    .selectFrom('networkrbacs')
    .select('target_project')
    .where('object_id', '=', networkId)
    .where('action', '=', action)
    .where('target_project', '!=', '*')
    .execute();
  return entries.map((e) => e.target_project);
}

/**
 * `shared` set to false: refused (InvalidSharedSetting) when ports or
 * subnets of projects other than the owner are on the network and another
 * entry does not keep them there (_validate_shared_update).
 */
export async function unshare(tx: Tx, network: NetworkRef): Promise<void> {
  if ((await wildcardEntry(tx, network.id, ACCESS_SHARED)) === undefined) return;
  const ports = await tx
    .selectFrom('ports')
    .select('project_id')
    .distinct()
    .where('network_id', '=', network.id)
    .where('device_owner', 'not like', 'network:%')
    .execute();
  const subnets = await tx.selectFrom('subnets').select('project_id').distinct().where('network_id', '=', network.id).execute();
  const projects = new Set([...ports, ...subnets].map((r) => r.project_id));
  if (projects.size > 1 || (projects.size === 1 && !projects.has(network.project_id))) {
    const allowed = new Set([network.project_id, ...(await namedTargets(tx, network.id, ACCESS_SHARED))]);
    if ([...projects].some((p) => !allowed.has(p))) throw new InvalidSharedSetting(network.name);
  }
  await tx.deleteFrom('networkrbacs').where('object_id', '=', network.id).where('action', '=', ACCESS_SHARED).where('target_project', '=', '*').execute();
}

/**
 * Whether `project` ('*' for every project but those with another entry and
 * the owner) has ports on the network that only this access_as_shared entry
 * allows (ensure_no_project_ports_on_network).
 */
export async function projectPortsDependOn(tx: Tx, network: NetworkRef, project: string): Promise<boolean> {
  let ports = tx.selectFrom('ports').select('id').where('network_id', '=', network.id);
  if (project === '*') {
    // Ports without a project (router gateways, floating IPs) belong to no one who could lose access.
    ports = ports.where('project_id', 'not in', [network.project_id, '', ...(await namedTargets(tx, network.id, ACCESS_SHARED))]);
  } else {
    if ((await wildcardEntry(tx, network.id, ACCESS_SHARED)) !== undefined) return false;
    ports = ports.where('project_id', '=', project);
  }
  return (await ports.limit(1).executeTakeFirst()) !== undefined;
}

/** `router:external` set to true: every project may use the network as external. */
export const makeExternal = (tx: Tx, network: NetworkRef): Promise<void> => grantToAll(tx, network, ACCESS_EXTERNAL);

/** `router:external` set to false: refused while routers have their gateway on it; its access_as_external entries go, and so does is_default. */
export async function makeInternal(tx: Tx, networkId: string): Promise<void> {
  const gateway = await tx
    .selectFrom('ports')
    .select('id')
    .where('network_id', '=', networkId)
    .where('device_owner', '=', ROUTER_GATEWAY)
    .executeTakeFirst();
  if (gateway !== undefined) throw new ExternalNetworkInUse(networkId);
  await tx.deleteFrom('networkrbacs').where('object_id', '=', networkId).where('action', '=', ACCESS_EXTERNAL).execute();
  await tx.updateTable('networks').set({ router_external: 0, is_default: 0 }).where('id', '=', networkId).execute();
}

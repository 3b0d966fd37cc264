/**
 * ML2 over the core plugin: a new network gets its segments (provider
 * attributes, `segments`, or a project segment from tenant_network_types)
 * inside the create transaction; deleting it releases them. Networks show
 * their segments as provider:* (one) or `segments` (several), and the MTU
 * asked for (net-mtu-writable) or else the largest the segments carry. Ports with a host are bound by the first mechanism
 * driver that can (see mechanisms/).
 */
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import { groupByParent } from '../core/children.js';
import { InvalidProviderInput } from './errors.js';
import { PROVIDER, type Segment, toProviderAttributes } from './segment.js';
import { MechanismManager } from './mechanisms/mechanismManager.js';
import { checkSubnetsFit, chosenMtu } from './networkMtu.js';
import type { AgentView, MechanismDriver } from './mechanisms/mechanismDriver.js';
import type { TypeManager } from './typeManager.js';

async function loadSegments(db: Db, networkIds: readonly string[]): Promise<Map<string, Segment[]>> {
  const rows = await groupByParent(
    networkIds,
    (chunk) => db.selectFrom('networksegments').selectAll().where('network_id', 'in', chunk).orderBy('segment_index').execute(),
    (r) => r.network_id,
  );
  return new Map(
    [...rows].map(([id, list]) => [
      id,
      list.map((r) => ({
        networkType: r.network_type,
        physicalNetwork: r.physical_network,
        segmentationId: r.segmentation_id === null ? null : Number(r.segmentation_id),
      })),
    ]),
  );
}

const NO_PROVIDER = { [PROVIDER.networkType]: null, [PROVIDER.physicalNetwork]: null, [PROVIDER.segmentationId]: null };

export interface AgentLookup {
  aliveAgents(tx: Tx, agentType: string, host: string): Promise<readonly AgentView[]>;
}

export function installMl2(deps: CoreDeps, types: TypeManager, mechanisms: readonly MechanismDriver[], agents: AgentLookup): void {
  const binder = new MechanismManager(mechanisms, {
    segments: async (tx, networkId) => (await loadSegments(tx, [networkId])).get(networkId) ?? [],
    aliveAgents: (tx, agentType, host) => agents.aliveAgents(tx, agentType, host),
  });
  deps.binding.bind = (tx, request) => binder.bindPort(tx, request);

  deps.events.on('network.precommit_create', async ({ tx, current, request }) => {
    const segments = await types.segmentsFor(tx, request ?? {}, deps.random);
    await storeSegments(tx, current.id, segments);
    // Stored, so that mtu filters and sorts as Neutron's does: the one asked for (net-mtu-writable), else the segments' largest.
    const mtu = chosenMtu(Number(request?.mtu ?? 0), types.mtu(segments));
    await tx.updateTable('networks').set({ mtu }).where('id', '=', current.id).execute();
    current.mtu = mtu;
  });

  deps.events.on('network.precommit_update', async ({ tx, current, request }) => {
    const changed = [...Object.values(PROVIDER), 'segments'].filter((name) => request?.[name] !== undefined);
    if (changed.length > 0) throw new InvalidProviderInput(`Plugin does not support updating the following provider network attributes: ${changed.join(', ')}`);
    if (request?.mtu === undefined) return;
    const id = current.id;
    const requested = Number(request.mtu);
    const subnets = await tx.selectFrom('subnets').select('ip_version').where('network_id', '=', id).execute();
    checkSubnetsFit(id, requested, subnets.map((s) => s.ip_version));
    const mtu = chosenMtu(requested, types.mtu((await loadSegments(tx, [id])).get(id) ?? []));
    await tx.updateTable('networks').set({ mtu }).where('id', '=', id).execute();
    // The core presented `current` before this ran.
    current.mtu = mtu;
  });

  // A network's MTU set low (net-mtu-writable) keeps out the subnets it cannot carry.
  deps.events.on('subnet.precommit_create', async ({ tx, current }) => {
    const networkId = current.network_id;
    const network = await tx.selectFrom('networks').select('mtu').where('id', '=', networkId).executeTakeFirst();
    if (network !== undefined && network.mtu > 0) checkSubnetsFit(networkId, network.mtu, [current.ip_version]);
  });

  deps.events.on('network.precommit_delete', async ({ tx, current }) => {
    const segments = (await loadSegments(tx, [current.id])).get(current.id) ?? [];
    await types.release(tx, segments);
  });

  deps.extenders.of('network').push(async (db, networks) => {
    const segments = await loadSegments(db, networks.map((n) => String(n.id)));
    return new Map(
      networks.map((n) => {
        const list = segments.get(String(n.id)) ?? [];
        const shape: ApiObject =
          list.length === 1 ? toProviderAttributes(list[0]!) : list.length === 0 ? NO_PROVIDER : { segments: list.map(toProviderAttributes) };
        return [String(n.id), shape];
      }),
    );
  });

  for (const [attribute, column] of [
    [PROVIDER.networkType, 'network_type'],
    [PROVIDER.physicalNetwork, 'physical_network'],
    [PROVIDER.segmentationId, 'segmentation_id'],
  ] as const) {
    deps.filters.of('network').set(attribute, (values) => (eb) =>
      eb('networks.id', 'in', eb.selectFrom('networksegments as seg').select('seg.network_id').where(`seg.${column}`, 'in', values)),
    );
  }
}

async function storeSegments(tx: Tx, networkId: string, segments: readonly Segment[]): Promise<void> {
  if (segments.length === 0) return;
  const now = utcNow();
  await tx
    .insertInto('networksegments')
    .values(
      segments.map((s, index) => ({
        id: newId(),
        network_id: networkId,
        network_type: s.networkType,
        physical_network: s.physicalNetwork,
        segmentation_id: s.segmentationId,
        segment_index: index,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
}

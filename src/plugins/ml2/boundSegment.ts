/**
 * Which segment of its network a bound port uses (Neutron's
 * `PortContext.bottom_bound_segment`), for the L2 agents' RPC and for
 * l2population.
 *
 * Nucleon does not store binding levels. A port on a one-segment network
 * uses that segment; on a multi-segment network, the first segment (in
 * segment_index order) that an L2 agent on the port's host can reach, which
 * is the one the agent mechanism drivers bound it for.
 */
import type { Db } from '../../db/schema.js';
import { canReach } from './mechanisms/agentMechanism.js';
import type { AgentView } from './mechanisms/mechanismDriver.js';
import type { Segment } from './segment.js';

/** What binding says about a port: host and binding:vif_type. */
export interface PortBindingState {
  readonly networkId: string;
  readonly hostId: string;
  readonly vifType: string;
}

export interface StoredSegment extends Segment {
  readonly id: string;
}

/** binding:vif_type values of a port no driver has bound. */
const NOT_BOUND = ['unbound', 'binding_failed'];

/** Where agents report their physical network mappings (Linux bridge: interface and bridge mappings, OVS: bridge mappings). */
const MAPPING_KEYS = ['interface_mappings', 'bridge_mappings'];

export const isBound = (port: PortBindingState): boolean => port.hostId !== '' && !NOT_BOUND.includes(port.vifType);

/** A port as the API presents it, seen through its binding attributes. */
export function bindingOf(port: Readonly<Record<string, unknown>>): PortBindingState {
  return {
    networkId: String(port.network_id),
    hostId: String(port['binding:host_id'] ?? ''),
    vifType: String(port['binding:vif_type'] ?? 'unbound'),
  };
}

export async function networkSegments(db: Db, networkId: string): Promise<StoredSegment[]> {
  const rows = await db
    .selectFrom('networksegments')
    .select(['id', 'network_type', 'physical_network', 'segmentation_id'])
    .where('network_id', '=', networkId)
    .orderBy('segment_index')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    networkType: r.network_type,
    physicalNetwork: r.physical_network,
    segmentationId: r.segmentation_id === null ? null : Number(r.segmentation_id),
  }));
}

/** An agent's reported configurations; an unreadable value counts as empty. */
export function parseConfigurations(text: string): Readonly<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export interface HostAgent extends AgentView {
  readonly host: string;
  readonly agentType: string;
}

/** Every agent on these hosts, alive or not (a binding outlives a missed heartbeat). */
export async function agentsOnHosts(db: Db, hosts: readonly string[]): Promise<HostAgent[]> {
  if (hosts.length === 0) return [];
  const rows = await db
    .selectFrom('agents')
    .select(['host', 'agent_type', 'configurations'])
    .where('host', 'in', [...new Set(hosts)])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ host: r.host, agentType: r.agent_type, configurations: parseConfigurations(r.configurations) }));
}

/** The segment a bound port uses; undefined when the port is not bound. */
export async function boundSegment(db: Db, port: PortBindingState): Promise<StoredSegment | undefined> {
  if (!isBound(port)) return undefined;
  const segments = await networkSegments(db, port.networkId);
  if (segments.length <= 1) return segments[0];
  const agents = await agentsOnHosts(db, [port.hostId]);
  return segments.find((segment) => agents.some((agent) => canReach(agent, segment, MAPPING_KEYS)));
}

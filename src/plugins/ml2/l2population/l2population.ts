/**
 * l2population (ML2 mechanism driver `l2population`): tells the L2 agents
 * which VTEP each MAC/IP of an overlay network sits behind, so they need no
 * multicast flooding. Messages (add_fdb_entries, remove_fdb_entries,
 * update_fdb_entries; src/rpc/contract/l2population.ts) go on the fanout
 * topic `q-agent-notifier-l2population-update`, or to one agent as a cast to
 * `q-agent-notifier-l2population-update.<host>`.
 *
 *   a port goes ACTIVE on host H   portUp (called by update_device_up): the
 *                                  others learn its entries (and H's flooding
 *                                  entry if it is H's first port there); the
 *                                  agent of H gets every existing entry of
 *                                  the network when it is its first port
 *   a port goes DOWN, is deleted   the others forget its entries (and H's
 *   or moves to another host       flooding entry with its last port there)
 *   an ACTIVE port's IPs change    update_fdb_entries chg_ip
 *
 * Only overlay segments (vxlan, gre, geneve) and agents that report
 * `l2_population: true` with a `tunneling_ip` take part. Everything is read
 * after commit, from the database: another server process may have changed
 * the network meanwhile.
 */
import { InvalidInput } from '../../../common/errors.js';
import type { Db } from '../../../db/schema.js';
import type { EventBus } from '../../../events/bus.js';
import type { Bus } from '../../../rpc/bus.js';
import { type ArgsOf, clientOf, type ContractClient, l2populationApi } from '../../../rpc/contract/index.js';
import type { ApiObject } from '../../collection.js';
import type { CoreEvents, EventObject } from '../../core/events.js';
import { agentsOnHosts, bindingOf, boundSegment, type StoredSegment } from '../boundSegment.js';
import {
  type ActivePort,
  carriesSegment,
  changedIps,
  type FdbEntry,
  fdbEntries,
  FLOODING_ENTRY,
  l2popAgentIp,
  portFdbEntries,
  remoteEntries,
} from './fdb.js';

/** A distributed router's port is everywhere; its entries come from DVR, not from here. */
const DVR_INTERFACE = 'network:router_interface_distributed';

export interface L2PopLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

interface HostVtep {
  readonly ip: string;
  readonly configurations: Readonly<Record<string, unknown>>;
}

type Methods = typeof l2populationApi.methods;

type Port = EventObject<'port'>;

const fixedIpAddresses = (port: Port): string[] => port.fixed_ips.map((ip) => ip.ip_address);

export class L2Population {
  private readonly agents: ContractClient<Methods>;

  constructor(
    private readonly db: Db,
    bus: Bus,
    private readonly log: L2PopLogger,
  ) {
    this.agents = clientOf(bus, l2populationApi);
  }

  /** Subscribes to the port events: status DOWN, deletes, host moves and address changes. */
  subscribe(events: EventBus<CoreEvents>): void {
    // Agents program a port's MAC into their forwarding tables once it is up (as Neutron, refused).
    events.on('port.precommit_update', ({ original, current }) => {
      if (original && original.mac_address !== current.mac_address && current.status === 'ACTIVE') {
        throw new InvalidInput(`unable to modify mac_address of ACTIVE port ${current.id}`);
      }
    });
    events.on('port.after_update', ({ original, current }) => (original ? this.portUpdated(original, current) : undefined));
    events.on('port.after_delete', ({ current }) => this.portGone(current, bindingOf(current).hostId));
  }

  /**
   * The devices of `ports` are up on `host` (their binding host) and the
   * ports are ACTIVE. Per network: the others learn the ports' entries in
   * one message, and the host gets every entry of the network when these are
   * its first ports there or `refreshTunnels` says so (an agent that
   * restarted).
   */
  async portsUp(ports: readonly ApiObject[], host: string, refreshTunnels = false): Promise<void> {
    if (ports.length === 0) return;
    const agent = await this.hostAgent(host);
    if (!agent) {
      this.log.debug({ host, ports: ports.length }, 'l2population: no agent with l2_population and a tunneling_ip on the host');
      return;
    }
    const byNetwork = new Map<string, ApiObject[]>();
    for (const port of ports) {
      const networkId = bindingOf(port).networkId;
      byNetwork.set(networkId, [...(byNetwork.get(networkId) ?? []), port]);
    }
    for (const [networkId, upHere] of byNetwork) {
      const segment = await this.segmentOf(upHere[0]!, host, agent);
      if (!segment) continue;
      const mine: FdbEntry[] = [];
      // Ports going up at once on one host each see the others counted: one more than this batch is still "first" (as Neutron).
      if (refreshTunnels || (await this.activePortCount(networkId, host)) <= upHere.length + 1) {
        const remote = remoteEntries(host, await this.activePorts(networkId));
        if (Object.keys(remote).length > 0) await this.send('add_fdb_entries', { fdb_entries: fdbEntries(networkId, segment, remote) }, host);
        mine.push(FLOODING_ENTRY);
      }
      for (const port of upHere) if (port.device_owner !== DVR_INTERFACE) mine.push(...portFdbEntries(port));
      if (mine.length > 0) await this.send('add_fdb_entries', { fdb_entries: fdbEntries(networkId, segment, { [agent.ip]: mine }) });
    }
  }

  /** `port` (as it was) no longer forwards on `host`: DOWN, deleted, or bound elsewhere now. */
  async portGone(port: ApiObject, host: string): Promise<void> {
    if (host === '') return;
    const agent = await this.hostAgent(host);
    const segment = agent && (await this.segmentOf(port, host, agent));
    if (!agent || !segment) return;
    const networkId = bindingOf(port).networkId;
    const entries: FdbEntry[] = [];
    if ((await this.activePortCount(networkId, host)) === 0) entries.push(FLOODING_ENTRY);
    if (port.device_owner !== DVR_INTERFACE) entries.push(...portFdbEntries(port));
    if (entries.length > 0) await this.send('remove_fdb_entries', { fdb_entries: fdbEntries(networkId, segment, { [agent.ip]: entries }) });
  }

  private async portUpdated(original: Port, current: Port): Promise<void> {
    const oldHost = bindingOf(original).hostId;
    const newHost = bindingOf(current).hostId;
    if (current.status === 'DOWN' && original.status !== 'DOWN') {
      await this.portGone(current, newHost);
    } else if (oldHost !== newHost) {
      if (original.status === 'ACTIVE') await this.portGone(original, oldHost);
    } else if (current.status === 'ACTIVE' && original.status === 'ACTIVE') {
      await this.addressesChanged(original, current);
    }
  }

  private async addressesChanged(original: Port, current: Port): Promise<void> {
    const before = fixedIpAddresses(original);
    const after = fixedIpAddresses(current);
    const host = bindingOf(current).hostId;
    if (host === '' || (before.length === after.length && before.every((ip) => after.includes(ip)))) return;
    const agent = await this.hostAgent(host);
    if (!agent || !(await this.segmentOf(current, host, agent))) return;
    const update = changedIps(current.network_id, agent.ip, String(current.mac_address), before, after);
    if (update) await this.send('update_fdb_entries', { fdb_entries: update });
  }

  /** The port's segment, when it is an overlay the host's l2population agent carries. */
  private async segmentOf(port: ApiObject, host: string, agent: HostVtep): Promise<StoredSegment | undefined> {
    const segment = await boundSegment(this.db, { ...bindingOf(port), hostId: host });
    return segment && carriesSegment(agent.configurations, segment) ? segment : undefined;
  }

  /** The host's agent that takes part in l2population, with its VTEP address. */
  private async hostAgent(host: string): Promise<HostVtep | undefined> {
    for (const agent of await agentsOnHosts(this.db, [host])) {
      const ip = l2popAgentIp(agent.configurations);
      if (ip !== undefined) return { ip, configurations: agent.configurations };
    }
    return undefined;
  }

  private async activePortCount(networkId: string, host: string): Promise<number> {
    const row = await this.db
      .selectFrom('ports')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('network_id', '=', networkId)
      .where('status', '=', 'ACTIVE')
      .where('binding_host_id', '=', host)
      .where('device_owner', '!=', DVR_INTERFACE)
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** The network's ACTIVE ports on hosts with an l2population agent, with their entries. */
  private async activePorts(networkId: string): Promise<ActivePort[]> {
    const ports = await this.db
      .selectFrom('ports')
      .select(['id', 'mac_address', 'binding_host_id'])
      .where('network_id', '=', networkId)
      .where('status', '=', 'ACTIVE')
      .where('binding_host_id', '!=', '')
      .where('device_owner', '!=', DVR_INTERFACE)
      .orderBy('id')
      .execute();
    if (ports.length === 0) return [];
    const vteps = new Map<string, string>();
    for (const agent of await agentsOnHosts(this.db, ports.map((p) => p.binding_host_id))) {
      const ip = l2popAgentIp(agent.configurations);
      if (ip !== undefined && !vteps.has(agent.host)) vteps.set(agent.host, ip);
    }
    const ips = await this.db
      .selectFrom('ipallocations')
      .select(['port_id', 'ip_address'])
      .where('network_id', '=', networkId)
      .orderBy('ip_address')
      .execute();
    const byPort = new Map<string, string[]>();
    for (const ip of ips) byPort.set(ip.port_id, [...(byPort.get(ip.port_id) ?? []), ip.ip_address]);
    return ports.flatMap((port) => {
      const agentIp = vteps.get(port.binding_host_id);
      if (agentIp === undefined) return [];
      const entries = (byPort.get(port.id) ?? []).map((ip): FdbEntry => [port.mac_address, ip]);
      return [{ host: port.binding_host_id, agentIp, entries }];
    });
  }

  /** Fans out, or casts to the one agent of `host`. A bus failure is logged: agents resync on their own. */
  private async send<K extends keyof Methods>(method: K, args: ArgsOf<Methods[K]>, host?: string): Promise<void> {
    try {
      if (host === undefined) await this.agents.fanout(method, args);
      else await this.agents.cast(method, args, { server: host });
    } catch (err) {
      this.log.warn({ err, method, host }, 'l2population: could not send forwarding entries');
    }
  }
}

/**
 * Tells the DHCP agents what changed on the networks they serve, as
 * Neutron's DhcpAgentNotifyAPI does
 * (neutron/api/rpc/agentnotifiers/dhcp_rpc_agent_api.py; the methods and
 * payloads are the contract's, src/rpc/contract/dhcpAgent.ts): a cast on topic
 * `dhcp_agent` to server = the agent's host (queue `dhcp_agent.<host>`),
 * one argument `payload`, only to the admin-up agents bound to the network:
 *
 *   network_create_end  {"network": {"id": <id>}, "priority": 0}
 *                       when the network is scheduled (or added) to that agent
 *   network_update_end  {"network": <network>, "priority": 1}
 *   network_delete_end  {"network_id": <id>, "priority": 2}
 *                       to the agents that hosted it (fanout on `dhcp_agent`
 *                       if they are unknown), or to the one it was removed from
 *   subnet_create_end   {"subnet": <subnet>, "priority": 3}
 *   subnet_update_end   {"subnet": <subnet>, "priority": 3}
 *   subnet_delete_end   {"subnet_id": <id>, "network_id": <id>, "priority": 4}
 *   port_create_end     {"port": <port>, "priority": 5 for one agent picked at random, 6 for the others}
 *   port_update_end     {"port": <port>, "priority": 6} (only when what dnsmasq serves changed, as Neutron)
 *   port_delete_end     {"port_id": <id>, "network_id": <id>, "fixed_ips": [...], "priority": 6}
 *
 * <network>, <subnet>, <port> are the objects as an admin sees them in the
 * API. Lower priority values are more urgent (the agent's queue orders by
 * them). A subnet create (and a subnet update that turns DHCP on) or a port
 * create on a network that needs DHCP first schedules it to agents, which
 * then hear network_create_end before the event itself.
 *
 * Everything runs after commit, in order per network, and never fails the
 * request: errors are logged. Subnet events wait for their scheduling and
 * casts (rare, and a client that creates a subnet expects the network to be
 * hosted when the 201 comes); port events do not wait at all. Notifications
 * that pile up for a network while earlier ones are sent go out as one
 * batch that reads the network's agents (and schedules it) once, so a burst
 * of port creates costs one lookup, not one each.
 */
import type { RequestContext } from '../../common/context.js';
import type { Db } from '../../db/schema.js';
import type { Bus, RpcContext, RpcLogger } from '../../rpc/bus.js';
import { agentTopic, rpcContext } from './agentCasts.js';
import { type ArgsOf, clientOf, type ContractClient, conform, dhcpAgentApi, type DhcpAgentMethod } from '../../rpc/contract/index.js';
import { DHCP_AGENT } from '../../rpc/topics.js';
import { attributesChanged } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import type { EventObject } from '../core/events.js';
import { DEVICE_ID_RESERVED_DHCP_PORT } from './dhcpPorts.js';
import type { DhcpAgentRow, DhcpScheduler } from './dhcpScheduler.js';

/** METHOD_PRIORITY_MAP of dhcp_rpc_agent_api.py. */
export const DHCP_PRIORITY = {
  networkCreate: 0,
  networkUpdate: 1,
  networkDelete: 2,
  subnetUpdate: 3,
  subnetDelete: 4,
  portCreateHigh: 5,
  portCreateLow: 6,
  portUpdate: 6,
  portDelete: 6,
} as const;

export interface DhcpNotifierOptions {
  /** `[DEFAULT] network_auto_schedule`: events schedule networks that have no agents yet. */
  readonly autoSchedule: boolean;
}

type DhcpAgentMethods = typeof dhcpAgentApi.methods;

type Network = EventObject<'network'>;
type Subnet = EventObject<'subnet'>;
type Port = EventObject<'port'>;

const INTERNAL: RpcContext = { requestId: 'req-dhcp-scheduler', isAdmin: true };

/** What a DHCP agent serves of a port: an update that changes none of it is not sent (Neutron's _notification_is_needed). */
const PORT_ATTRIBUTES_DHCP_SERVES = ['fixed_ips', 'mac_address', 'extra_dhcp_opts', 'dns_name', 'dns_assignment', 'dns_domain'] as const;

/** A notification's arguments as the contract types them; the API objects in `payload` are checked (a mismatch is a server bug, logged). */
function argsOf<K extends DhcpAgentMethod>(method: K, payload: Record<string, unknown>): ArgsOf<DhcpAgentMethods[K]> {
  const methods: DhcpAgentMethods = dhcpAgentApi.methods;
  return conform<DhcpAgentMethods[K]['args']>(methods[method].args, { payload }, `${method} arguments`);
}

/** A notification for one network. */
type Notification =
  | {
      /** To the agents serving the network (scheduling it first when `schedule`). */
      readonly kind: 'hosts';
      readonly context: RpcContext;
      readonly method: DhcpAgentMethod;
      readonly payload: Record<string, unknown>;
      readonly schedule: boolean;
    }
  /** To agents the caller names; the network's agents may have changed after it. */
  | { readonly kind: 'direct'; readonly run: () => Promise<void> };

/** A notification waiting for its turn on its network's queue; `done` resolves whoever waits for it. */
interface QueueItem {
  readonly notification: Notification;
  readonly done: () => void;
}

export class DhcpAgentNotifier {
  /** Notifications waiting, per network, and the runs sending them. */
  private readonly pending = new Map<string, QueueItem[]>();
  private readonly running = new Map<string, Promise<void>>();
  /** Who hosted a network being deleted, read before its bindings go with it; keyed by the event's object. */
  private readonly hostsOfDeleted = new WeakMap<object, DhcpAgentRow[]>();
  private readonly agents: ContractClient<DhcpAgentMethods>;

  constructor(
    bus: Bus,
    private readonly scheduler: DhcpScheduler,
    private readonly log: RpcLogger,
    private readonly options: DhcpNotifierOptions,
    private readonly random: () => number = Math.random,
  ) {
    this.agents = clientOf(bus, dhcpAgentApi);
  }

  /** Subscribes to the core plugin's after_* events (and network.precommit_delete, to remember the hosts). */
  install(deps: CoreDeps): void {
    const { events } = deps;
    events.on('network.after_update', ({ ctx, current }) => {
      void this.networkUpdated(ctx, current);
    });
    events.on('network.precommit_delete', async ({ tx, current }) => this.rememberHosts(tx, current));
    events.on('network.after_delete', ({ ctx, current }) => {
      void this.networkDeleted(ctx, current);
    });
    events.on('subnet.after_create', ({ ctx, current }) => this.subnetChanged(ctx, 'subnet_create_end', current, true));
    events.on('subnet.after_update', ({ ctx, current, original }) =>
      this.subnetChanged(ctx, 'subnet_update_end', current, current.enable_dhcp === true && original?.enable_dhcp !== true),
    );
    events.on('subnet.after_delete', ({ ctx, current }) => {
      void this.subnetDeleted(ctx, current);
    });
    events.on('port.after_create', ({ ctx, current }) => {
      void this.portCreated(ctx, current);
    });
    events.on('port.after_update', ({ ctx, current, original }) => {
      if (!original || attributesChanged(original, current, PORT_ATTRIBUTES_DHCP_SERVES)) void this.portUpdated(ctx, current);
    });
    events.on('port.after_delete', ({ ctx, current }) => {
      void this.portDeleted(ctx, current);
    });
  }

  networkUpdated(ctx: RequestContext, network: Network): Promise<void> {
    return this.toHosts(ctx, network.id, 'network_update_end', { network, priority: DHCP_PRIORITY.networkUpdate });
  }

  private async rememberHosts(db: Db, network: Network): Promise<void> {
    const networkId = network.id;
    this.hostsOfDeleted.set(network, (await this.scheduler.agentsHosting([networkId], db)).get(networkId) ?? []);
  }

  networkDeleted(ctx: RequestContext, network: Network): Promise<void> {
    const networkId = network.id;
    const payload = { network_id: networkId, priority: DHCP_PRIORITY.networkDelete };
    const hosts = this.hostsOfDeleted.get(network);
    return this.enqueue(networkId, {
      kind: 'direct',
      run: async () => {
        if (hosts === undefined) await this.agents.fanout('network_delete_end', argsOf('network_delete_end', payload), { context: rpcContext(ctx) });
        else await this.castTo(rpcContext(ctx), this.enabled(hosts, networkId, 'network_delete_end'), 'network_delete_end', payload);
      },
    });
  }

  subnetChanged(ctx: RequestContext, method: 'subnet_create_end' | 'subnet_update_end', subnet: Subnet, schedule: boolean): Promise<void> {
    return this.toHosts(ctx, subnet.network_id, method, { subnet, priority: DHCP_PRIORITY.subnetUpdate }, schedule);
  }

  subnetDeleted(ctx: RequestContext, subnet: Subnet): Promise<void> {
    const networkId = subnet.network_id;
    return this.toHosts(ctx, networkId, 'subnet_delete_end', { subnet_id: subnet.id, network_id: networkId, priority: DHCP_PRIORITY.subnetDelete });
  }

  portCreated(ctx: RequestContext, port: Port): Promise<void> {
    // A reserved DHCP port is the network's own: it does not ask for an agent.
    const schedule = port.device_id !== DEVICE_ID_RESERVED_DHCP_PORT;
    return this.toHosts(ctx, port.network_id, 'port_create_end', { port, priority: DHCP_PRIORITY.portCreateLow }, schedule);
  }

  portUpdated(ctx: RequestContext, port: Port): Promise<void> {
    return this.toHosts(ctx, port.network_id, 'port_update_end', { port, priority: DHCP_PRIORITY.portUpdate });
  }

  portDeleted(ctx: RequestContext, port: Port): Promise<void> {
    const networkId = port.network_id;
    const payload = { port_id: port.id, network_id: networkId, fixed_ips: port.fixed_ips, priority: DHCP_PRIORITY.portDelete };
    return this.toHosts(ctx, networkId, 'port_delete_end', payload);
  }

  /** The network was just bound to these agents (by scheduling or by an admin): network_create_end to each. */
  networkAdded(networkId: string, agents: readonly DhcpAgentRow[], ctx?: RequestContext): Promise<void> {
    if (agents.length === 0) return Promise.resolve();
    const context = ctx ? rpcContext(ctx) : INTERNAL;
    return this.enqueue(networkId, { kind: 'direct', run: () => this.announce(context, networkId, agents) });
  }

  /** An admin took the network off this agent: network_delete_end to it alone. */
  networkRemoved(networkId: string, agent: DhcpAgentRow, ctx: RequestContext): Promise<void> {
    const payload = { network_id: networkId, priority: DHCP_PRIORITY.networkDelete };
    return this.enqueue(networkId, { kind: 'direct', run: () => this.castTo(rpcContext(ctx), [agent], 'network_delete_end', payload) });
  }

  /** Waits for every notification queued so far (before the bus closes). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private toHosts(ctx: RequestContext, networkId: string, method: DhcpAgentMethod, payload: Record<string, unknown>, schedule = false): Promise<void> {
    return this.enqueue(networkId, { kind: 'hosts', context: rpcContext(ctx), method, payload, schedule });
  }

  /** Queues a notification behind the network's earlier ones; resolves once it is sent (or failed, which is logged). */
  private enqueue(networkId: string, notification: Notification): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.pending.get(networkId) ?? [];
      queue.push({ notification, done: resolve });
      this.pending.set(networkId, queue);
      if (!this.running.has(networkId)) this.running.set(networkId, this.run(networkId));
    });
  }

  /** Sends the network's notifications, batch after batch, until none wait. */
  private async run(networkId: string): Promise<void> {
    try {
      for (let batch = this.pending.get(networkId); batch !== undefined; batch = this.pending.get(networkId)) {
        this.pending.delete(networkId);
        await this.send(networkId, batch);
      }
    } finally {
      this.running.delete(networkId);
    }
  }

  /** Neutron's _notify_agents for each item, the network's agents read (and the network scheduled) once per batch. */
  private async send(networkId: string, batch: readonly QueueItem[]): Promise<void> {
    let agents: DhcpAgentRow[] | undefined;
    let scheduled = false;
    for (const { notification: n, done } of batch) {
      try {
        if (n.kind === 'direct') {
          await n.run();
          agents = undefined;
          continue;
        }
        agents ??= (await this.scheduler.agentsHosting([networkId])).get(networkId) ?? [];
        if (n.schedule && this.options.autoSchedule && !scheduled) {
          scheduled = true;
          const added = await this.scheduler.scheduleNetwork(networkId, agents);
          await this.announce(n.context, networkId, added);
          agents = [...added, ...agents];
        }
        await this.notifyHosts(n.context, networkId, agents, n.method, n.payload);
      } catch (err) {
        this.log.error({ err, networkId, method: n.kind === 'hosts' ? n.method : undefined }, 'DHCP agent notification failed');
      } finally {
        done();
      }
    }
  }

  /** Casts one notification to the admin-up agents among `agents`; a new port goes first to one of them, at random. */
  private async notifyHosts(
    context: RpcContext,
    networkId: string,
    agents: readonly DhcpAgentRow[],
    method: DhcpAgentMethod,
    payload: Record<string, unknown>,
  ): Promise<void> {
    const enabled = this.enabled(agents, networkId, method);
    if (method === 'port_create_end' && enabled.length > 0) {
      // Neutron spreads bursts of new ports over the agents this way.
      const high = enabled.splice(Math.floor(this.random() * enabled.length), 1);
      await this.castTo(context, high, method, { ...payload, priority: DHCP_PRIORITY.portCreateHigh });
    }
    await this.castTo(context, enabled, method, payload);
  }

  private async announce(context: RpcContext, networkId: string, agents: readonly DhcpAgentRow[]): Promise<void> {
    await this.castTo(context, agents, 'network_create_end', { network: { id: networkId }, priority: DHCP_PRIORITY.networkCreate });
  }

  /** The admin-up agents among those bound; dead ones are still told (they catch up when they come back), with a warning. */
  private enabled(agents: readonly DhcpAgentRow[], networkId: string, method: DhcpAgentMethod): DhcpAgentRow[] {
    const enabled = agents.filter((a) => a.admin_state_up === 1);
    const active = enabled.filter((a) => this.scheduler.isAlive(a)).length;
    if (active < enabled.length) {
      this.log.warn(
        { networkId, method, active, total: enabled.length },
        'only some of the DHCP agents serving the network are alive; notifications may go to inactive agents',
      );
    }
    return enabled;
  }

  private async castTo<K extends DhcpAgentMethod>(context: RpcContext, agents: readonly DhcpAgentRow[], method: K, payload: Record<string, unknown>): Promise<void> {
    if (agents.length === 0) return;
    const args = argsOf(method, payload);
    for (const agent of agents) {
      const topic = agentTopic(agent, DHCP_AGENT);
      try {
        await this.agents.cast(method, args, { topic, server: agent.host, context });
      } catch (err) {
        this.log.error({ err, method, host: agent.host }, 'cannot notify the DHCP agent');
      }
    }
  }
}

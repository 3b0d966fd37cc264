/**
 * The server's end of the DHCP agents' RPC, served on topic `q-plugin`
 * (Neutron's DhcpRpcCallback, neutron/api/rpc/handlers/dhcp_rpc.py). The
 * methods, their arguments and results are the contract's
 * (src/rpc/contract/dhcpPlugin.ts); the server's side of each:
 *
 *   get_active_networks_info  the admin-up networks bound to the (admin-up)
 *        DHCP agent on `host`, after scheduling to it the networks that lack
 *        agents (network_auto_schedule). Subnets are only those with
 *        enable_dhcp unless enable_dhcp_filter is false.
 *   get_network_info          every subnet of the network; null when it is gone
 *   create_dhcp_port          device_owner network:dhcp and binding:host_id
 *        `host` are set; null when the network or a subnet went away
 *        meanwhile; a full subnet fails with IpAddressGenerationFailure
 *   update_dhcp_port          null when the port is gone or belongs to another
 *        agent (device_id neither `reserved_dhcp_port` nor dhcpDeviceId(network,
 *        host)); NetworkNotFound when the agent on `host` does not serve the network
 *   release_dhcp_port         the agent's ports on the network are deleted
 *   get_dhcp_port             PortNotFound when gone
 *   dhcp_ready_on_ports       accepted (Nucleon has no provisioning blocks yet)
 *   get_networks              filters and fields as the API's
 *
 * Networks carry `non_local_subnets: []` (no routed networks yet).
 */
import { adminContext, type RequestContext } from '../../common/context.js';
import { NetworkNotFound, NeutronError } from '../../common/errors.js';
import type { HandlerContext, RpcLogger } from '../../rpc/bus.js';
import { conform, DhcpNetwork, DhcpPort, type HandlersOf, type dhcpPluginApi } from '../../rpc/contract/index.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { AGENT_TYPE } from './agentTypes.js';
import { DEVICE_ID_RESERVED_DHCP_PORT, DEVICE_OWNER_DHCP, dhcpDeviceId } from './dhcpPorts.js';
import type { DhcpScheduler } from './dhcpScheduler.js';
import type { ReportHandlers } from './stateReports.js';

export interface DhcpRpcDeps {
  readonly scheduler: DhcpScheduler;
  readonly networks: Collection;
  readonly subnets: Collection;
  readonly ports: Collection;
  /** The API's own check of a `{"port": {...}}` POST body: what the port plugin takes, defaults filled. */
  readonly checkPortCreate: (body: unknown, ctx: RequestContext) => ApiObject;
  /** The same for a PUT body. */
  readonly checkPortUpdate: (body: unknown, ctx: RequestContext) => ApiObject;
  /** `[DEFAULT] network_auto_schedule`. */
  readonly autoSchedule: boolean;
}

export type DhcpRpcHandlers = HandlersOf<typeof dhcpPluginApi.methods>;

/** What the API presents, as the contract types it (a mismatch is a server bug, answered as an error). */
const asPort = (port: ApiObject): DhcpPort => conform(DhcpPort, port, 'port');
const asNetwork = (network: ApiObject): DhcpNetwork => conform(DhcpNetwork, network, 'network');
const orNull = <T, R>(value: T | null, as: (value: T) => R): R | null => (value === null ? null : as(value));

const query = (filters: [string, readonly unknown[]][], byId = false): ListRequest => ({
  filters: new Map(filters),
  sorts: byId ? [{ key: 'id', dir: 'asc' }] : [],
});

const isType = (err: unknown, ...types: string[]): boolean => err instanceof NeutronError && types.includes(err.type);

/** What Neutron's _port_action shrugs off: the network or a subnet went away while the agent worked. */
const VANISHED = ['NetworkNotFound', 'SubnetNotFound', 'InvalidInput', 'PortNotFound'];

function groupByNetwork(objects: readonly ApiObject[]): Map<string, ApiObject[]> {
  const grouped = new Map<string, ApiObject[]>();
  for (const object of objects) {
    const key = String(object.network_id);
    const list = grouped.get(key) ?? [];
    list.push(object);
    grouped.set(key, list);
  }
  return grouped;
}

export function dhcpRpcHandlers(deps: DhcpRpcDeps): DhcpRpcHandlers {
  const ctxOf = (handler: HandlerContext): RequestContext => adminContext(handler.context.requestId);

  /** The networks with their subnets and ports in place of subnet ids. */
  async function withSubnetsAndPorts(ctx: RequestContext, networks: readonly ApiObject[], dhcpSubnetsOnly: boolean): Promise<ApiObject[]> {
    if (networks.length === 0) return [];
    const ids = networks.map((n) => String(n.id));
    const [subnets, ports] = await Promise.all([
      deps.subnets.list(ctx, query([['network_id', ids], ...(dhcpSubnetsOnly ? [['enable_dhcp', [true]] as [string, unknown[]]] : [])], true)),
      deps.ports.list(ctx, query([['network_id', ids]])),
    ]);
    const subnetsOf = groupByNetwork(subnets);
    const portsOf = groupByNetwork(ports);
    return networks.map((n) => ({
      ...n,
      subnets: subnetsOf.get(String(n.id)) ?? [],
      non_local_subnets: [],
      ports: portsOf.get(String(n.id)) ?? [],
    }));
  }

  /** Neutron's _port_action: a vanished network or subnet is no error, a full subnet is (unless the subnet vanished). */
  async function portAction(
    ctx: RequestContext,
    port: { readonly fixed_ips?: readonly { readonly subnet_id: string }[] },
    action: () => Promise<ApiObject>,
  ): Promise<DhcpPort | null> {
    try {
      return asPort(await action());
    } catch (err) {
      if (isType(err, ...VANISHED)) return null;
      if (isType(err, 'IpAddressGenerationFailure')) {
        const subnetId = port.fixed_ips?.[0]?.subnet_id;
        if (subnetId !== undefined) {
          const exists = await deps.subnets.show(ctx, subnetId).then(
            () => true,
            () => false,
          );
          if (!exists) return null;
        }
      }
      throw err;
    }
  }

  return {
    get_active_networks_info: async (args, handler) => {
      const ctx = ctxOf(handler);
      const { host } = args;
      if (deps.autoSchedule) await deps.scheduler.autoScheduleNetworks(host);
      const agent = await deps.scheduler.dhcpAgentOnHost(host);
      if (!agent || agent.admin_state_up !== 1) return [];
      const networkIds = await deps.scheduler.networksOf(agent.id);
      if (networkIds.length === 0) return [];
      const networks = await deps.networks.list(ctx, query([['id', networkIds], ['admin_state_up', [true]]], true));
      return (await withSubnetsAndPorts(ctx, networks, args.enable_dhcp_filter !== false)).map(asNetwork);
    },

    get_network_info: async (args, handler) => {
      const ctx = ctxOf(handler);
      const networkId = args.network_id;
      let network: ApiObject;
      try {
        network = await deps.networks.show(ctx, networkId);
      } catch (err) {
        if (isType(err, 'NetworkNotFound')) return null; // deleted meanwhile
        throw err;
      }
      const [withDetails] = await withSubnetsAndPorts(ctx, [network], false);
      return orNull(withDetails ?? null, asNetwork);
    },

    create_dhcp_port: async (args, handler) => {
      const ctx = ctxOf(handler);
      const { host } = args;
      const port = { ...args.port.port, device_owner: DEVICE_OWNER_DHCP, 'binding:host_id': host };
      return portAction(ctx, port, async () => {
        const create = deps.ports.create;
        if (!create) throw new Error('the port plugin cannot create ports');
        const [created] = await create.call(deps.ports, ctx, [deps.checkPortCreate({ port }, ctx)]);
        return created!;
      });
    },

    update_dhcp_port: async (args, handler) => {
      const ctx = ctxOf(handler);
      const { host, port_id: portId } = args;
      const { network_id: networkId, id: _id, ...changes } = args.port.port;
      let current: ApiObject;
      try {
        current = await deps.ports.show(ctx, portId);
      } catch (err) {
        if (isType(err, 'PortNotFound')) return null;
        throw err;
      }
      // Another agent's port: not this agent's to change.
      if (current.device_id !== DEVICE_ID_RESERVED_DHCP_PORT && current.device_id !== dhcpDeviceId(networkId, host)) return null;
      const hosting = (await deps.scheduler.agentsHosting([networkId])).get(networkId) ?? [];
      if (!hosting.some((agent) => agent.host === host)) throw new NetworkNotFound(networkId);
      const port = { ...changes, 'binding:host_id': host };
      return portAction(ctx, port, () => deps.ports.update(ctx, portId, deps.checkPortUpdate({ port }, ctx)));
    },

    release_dhcp_port: async (args, handler) => {
      const ctx = ctxOf(handler);
      const { network_id: networkId, device_id: deviceId } = args;
      const ports = await deps.ports.list(ctx, query([['network_id', [networkId]], ['device_id', [deviceId]]]));
      for (const port of ports) {
        try {
          await deps.ports.delete(ctx, String(port.id));
        } catch (err) {
          if (!isType(err, 'PortNotFound')) throw err;
        }
      }
      return null;
    },

    get_dhcp_port: async (args, handler) => asPort(await deps.ports.show(ctxOf(handler), args.port_id)),

    dhcp_ready_on_ports: async () => null,

    get_networks: async (args, handler) => {
      const entries = Object.entries(args.filters ?? {}).map(([key, values]): [string, unknown[]] => [key, Array.isArray(values) ? values : [values]]);
      const networks = await deps.networks.list(ctxOf(handler), query(entries));
      const fields = args.fields ?? [];
      if (fields.length === 0) return networks;
      return networks.map((n) => Object.fromEntries(fields.filter((f) => f in n).map((f) => [f, n[f]])));
    },
  };
}

/**
 * report_state (`reports`, served on q-reports-plugin) followed, for a DHCP
 * agent that is new, came back (revived) or restarted (start_flag), by
 * network_auto_schedule: the networks that lack agents go to it before it
 * asks for them. A failure there is logged; the report still succeeds.
 */
export function scheduleOnDhcpReports(reports: ReportHandlers, scheduler: DhcpScheduler, log: RpcLogger): ReportHandlers {
  const report = reports.report_state;
  return {
    ...reports,
    report_state: async (args, handler) => {
      const result = await report(args, handler);
      const state = args.agent_state.agent_state;
      if (state.agent_type === AGENT_TYPE.dhcp && (result === 'new' || result === 'revived' || state.start_flag === true)) {
        try {
          await scheduler.autoScheduleNetworks(state.host);
        } catch (err) {
          log.error({ err, host: state.host }, 'cannot schedule networks to the DHCP agent');
        }
      }
      return result;
    },
  };
}

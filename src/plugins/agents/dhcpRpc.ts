/**
 * The server's end of the DHCP agents' RPC, served on topic `q-plugin`
 * (Neutron's DhcpRpcCallback, neutron/api/rpc/handlers/dhcp_rpc.py; the
 * agent's side is DhcpPluginApi in neutron/agent/dhcp/agent.py). Arguments
 * are oslo kwargs; every call runs as an admin. The shapes, which our DHCP
 * agent consumes:
 *
 *   get_active_networks_info {host, enable_dhcp_filter?: true}
 *     -> [DhcpNetwork]: the admin-up networks bound to the (admin-up) DHCP
 *        agent on `host`, after scheduling to it the networks that lack
 *        agents (network_auto_schedule). Subnets are only those with
 *        enable_dhcp unless enable_dhcp_filter is false.
 *   get_network_info {network_id, host}
 *     -> DhcpNetwork with every subnet of the network, or null when it is gone
 *   create_dhcp_port {port: {"port": {network_id, tenant_id, device_id,
 *                     fixed_ips: [{subnet_id}], name?, admin_state_up?, mac_address?}}, host}
 *     -> Port, or null when the network or a subnet went away meanwhile;
 *        device_owner is set to network:dhcp and binding:host_id to `host`;
 *        a full subnet fails with IpAddressGenerationFailure (RpcRemoteError)
 *   update_dhcp_port {port_id, port: {"port": {network_id, ...changes}}, host}
 *     -> Port; null when the port is gone or belongs to another agent
 *        (device_id neither `reserved_dhcp_port` nor dhcpDeviceId(network, host));
 *        NetworkNotFound when the agent on `host` does not serve the network
 *   release_dhcp_port {network_id, device_id, host} -> null (the agent's ports there are deleted)
 *   get_dhcp_port {port_id} -> Port (PortNotFound)
 *   dhcp_ready_on_ports {port_ids} -> null (accepted; Nucleon has no provisioning blocks yet)
 *   get_networks {filters?: {attr: [values]}, fields?: [names]} -> [Network]
 *
 *   DhcpNetwork = Network (as an admin sees it in the API: id, name,
 *                 project_id, admin_state_up, mtu, provider:*, dns_domain, ...)
 *                 with `subnets`: [Subnet] sorted by id (the agent numbers its
 *                 dnsmasq tags by position), `non_local_subnets`: [] (no routed
 *                 networks yet), `ports`: [Port] (every port of the network)
 *   Network, Subnet, Port = the API objects, every attribute, admin view.
 */
import { adminContext, type RequestContext } from '../../common/context.js';
import { BadRequest, NetworkNotFound, NeutronError } from '../../common/errors.js';
import type { HandlerContext, RpcArgs, RpcHandlers, RpcLogger } from '../../rpc/bus.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { AGENT_TYPE } from './agentTypes.js';
import { DEVICE_ID_RESERVED_DHCP_PORT, DEVICE_OWNER_DHCP, dhcpDeviceId } from './dhcpPorts.js';
import type { DhcpScheduler } from './dhcpScheduler.js';

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

const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value === '') throw new BadRequest(`${name} must be a non-empty string`);
  return value;
};

const object = (value: unknown, name: string): Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest(`${name} must be an object`);
  return value as Record<string, unknown>;
};

/** `{"port": {...}}`, as DhcpPluginApi sends it. */
const portOf = (args: RpcArgs): Record<string, unknown> => object(object(args.port, 'port').port, 'port.port');

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

export function dhcpRpcHandlers(deps: DhcpRpcDeps): RpcHandlers {
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
  async function portAction(ctx: RequestContext, port: Record<string, unknown>, action: () => Promise<ApiObject>): Promise<ApiObject | null> {
    try {
      return await action();
    } catch (err) {
      if (isType(err, ...VANISHED)) return null;
      if (isType(err, 'IpAddressGenerationFailure')) {
        const [first] = Array.isArray(port.fixed_ips) ? (port.fixed_ips as unknown[]) : [];
        const subnetId = typeof first === 'object' && first !== null ? (first as Record<string, unknown>).subnet_id : undefined;
        if (typeof subnetId === 'string') {
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
      const host = text(args.host, 'host');
      if (deps.autoSchedule) await deps.scheduler.autoScheduleNetworks(host);
      const agent = await deps.scheduler.dhcpAgentOnHost(host);
      if (!agent || agent.admin_state_up !== 1) return [];
      const networkIds = await deps.scheduler.networksOf(agent.id);
      if (networkIds.length === 0) return [];
      const networks = await deps.networks.list(ctx, query([['id', networkIds], ['admin_state_up', [true]]], true));
      return withSubnetsAndPorts(ctx, networks, args.enable_dhcp_filter !== false);
    },

    get_network_info: async (args, handler) => {
      const ctx = ctxOf(handler);
      const networkId = text(args.network_id, 'network_id');
      let network: ApiObject;
      try {
        network = await deps.networks.show(ctx, networkId);
      } catch (err) {
        if (isType(err, 'NetworkNotFound')) return null; // deleted meanwhile
        throw err;
      }
      const [withDetails] = await withSubnetsAndPorts(ctx, [network], false);
      return withDetails ?? null;
    },

    create_dhcp_port: async (args, handler) => {
      const ctx = ctxOf(handler);
      const host = text(args.host, 'host');
      const port = { ...portOf(args), device_owner: DEVICE_OWNER_DHCP, 'binding:host_id': host };
      return portAction(ctx, port, async () => {
        const create = deps.ports.create;
        if (!create) throw new Error('the port plugin cannot create ports');
        const [created] = await create.call(deps.ports, ctx, [deps.checkPortCreate({ port }, ctx)]);
        return created!;
      });
    },

    update_dhcp_port: async (args, handler) => {
      const ctx = ctxOf(handler);
      const host = text(args.host, 'host');
      const portId = text(args.port_id, 'port_id');
      const { network_id: networkIdValue, id: _id, ...changes } = portOf(args);
      const networkId = text(networkIdValue, 'port.network_id');
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
      const networkId = text(args.network_id, 'network_id');
      const deviceId = text(args.device_id, 'device_id');
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

    get_dhcp_port: async (args, handler) => deps.ports.show(ctxOf(handler), text(args.port_id, 'port_id')),

    dhcp_ready_on_ports: async (args) => {
      if (!Array.isArray(args.port_ids)) throw new BadRequest('port_ids must be a list');
      return null;
    },

    get_networks: async (args, handler) => {
      const filters = args.filters === undefined || args.filters === null ? {} : object(args.filters, 'filters');
      const entries = Object.entries(filters).map(([key, values]): [string, unknown[]] => [key, Array.isArray(values) ? values : [values]]);
      const networks = await deps.networks.list(ctxOf(handler), query(entries));
      const fields = Array.isArray(args.fields) ? args.fields.filter((f): f is string => typeof f === 'string') : [];
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
export function scheduleOnDhcpReports(reports: RpcHandlers, scheduler: DhcpScheduler, log: RpcLogger): RpcHandlers {
  const report = reports.report_state;
  if (!report) return reports;
  return {
    ...reports,
    report_state: async (args, handler) => {
      const result = await report(args, handler);
      const state = args.agent_state as Record<string, unknown>; // report_state has checked it
      if (state.agent_type === AGENT_TYPE.dhcp && (result === 'new' || result === 'revived' || state.start_flag === true)) {
        try {
          await scheduler.autoScheduleNetworks(String(state.host));
        } catch (err) {
          log.error({ err, host: state.host }, 'cannot schedule networks to the DHCP agent');
        }
      }
      return result;
    },
  };
}

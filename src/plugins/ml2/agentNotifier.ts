/**
 * ML2's AgentNotifierApi (neutron/plugins/ml2/rpc.py): fanouts that tell
 * every L2 agent a port or network changed, so the agent that has its tap
 * looks again at once instead of at its next poll.
 *
 *   port_update     {port, network_type, segmentation_id, physical_network}
 *                   when what an agent wires changed: admin_state_up,
 *                   fixed_ips, binding:host_id (and the binding), security
 *                   groups, MAC, allowed address pairs, port security
 *   port_delete     {port_id}
 *   network_update  {network}   when MTU or admin_state_up changed
 *   network_delete  {network_id}
 *
 * On q-agent-notifier-<resource>-<operation>, as the contract says
 * (src/rpc/contract/l2Agent.ts). Sent after commit; a bus failure is logged, never fails the request
 * (agents resync on their own). Port creates send nothing, as in Neutron:
 * the agent finds the new tap by itself.
 */
import type { Db } from '../../db/schema.js';
import type { EventBus } from '../../events/bus.js';
import type { Bus } from '../../rpc/bus.js';
import { type ArgsOf, clientOf, type ContractClient, l2AgentApi } from '../../rpc/contract/index.js';
import { attributesChanged } from '../collection.js';
import type { CoreEvents, EventObject } from '../core/events.js';
import { bindingOf, boundSegment } from './boundSegment.js';

export interface AgentNotifierLogger {
  warn(obj: object, msg: string): void;
}

/** Port attributes whose change an L2 agent acts on (ML2's need_port_update_notify). */
const PORT_ATTRIBUTES_AGENTS_WIRE = [
  'admin_state_up',
  'fixed_ips',
  'binding:host_id',
  'binding:vif_type',
  'binding:vnic_type',
  'binding:profile',
  'security_groups',
  'mac_address',
  'allowed_address_pairs',
  'port_security_enabled',
];

const NETWORK_ATTRIBUTES_AGENTS_WIRE = ['mtu', 'admin_state_up'];

type Methods = typeof l2AgentApi.methods;

export class AgentNotifier {
  private readonly agents: ContractClient<Methods>;

  constructor(
    private readonly db: Db,
    bus: Bus,
    private readonly log: AgentNotifierLogger,
  ) {
    this.agents = clientOf(bus, l2AgentApi);
  }

  subscribe(events: EventBus<CoreEvents>): void {
    events.on('port.after_update', ({ original, current }) =>
      original && attributesChanged(original, current, PORT_ATTRIBUTES_AGENTS_WIRE) ? this.portUpdate(current) : undefined,
    );
    events.on('port.after_delete', ({ current }) => this.send('port_delete', () => ({ port_id: current.id })));
    events.on('network.after_update', ({ original, current }) =>
      original && attributesChanged(original, current, NETWORK_ATTRIBUTES_AGENTS_WIRE) ? this.send('network_update', () => ({ network: current })) : undefined,
    );
    events.on('network.after_delete', ({ current }) => this.send('network_delete', () => ({ network_id: current.id })));
  }

  private async portUpdate(port: EventObject<'port'>): Promise<void> {
    const segment = await boundSegment(this.db, bindingOf(port));
    await this.send('port_update', () => ({
      port,
      network_type: segment?.networkType ?? null,
      segmentation_id: segment?.segmentationId ?? null,
      physical_network: segment?.physicalNetwork ?? null,
    }));
  }

  private async send<K extends keyof Methods>(method: K, args: () => ArgsOf<Methods[K]>): Promise<void> {
    try {
      await this.agents.fanout(method, args());
    } catch (err) {
      this.log.warn({ err, topic: l2AgentApi.methods[method].topic, method }, 'could not notify the L2 agents');
    }
  }
}

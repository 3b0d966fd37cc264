/**
 * How the DHCP and L3 agents plug their ports' taps into Open vSwitch with
 * interface_driver openvswitch (Neutron's OVSInterfaceDriver): the tap joins
 * `[ovs] integration_bridge` named as its Neutron port, for the Open vSwitch
 * agent to wire. One step type, its dry-run text, how it is applied and how
 * the bridge's ports are read, shared by both agents' plans.
 */
import { OpenVswitch, plugVifCommands } from '../../host/ovs.js';

/** [ovs] integration_bridge and ovsdb_connection. */
export interface OvsPlugSettings {
  readonly bridge: string;
  readonly connection: string;
}

export type OvsPlugStep =
  | { readonly kind: 'ovs-plug'; readonly connection: string; readonly bridge: string; readonly device: string; readonly portId: string; readonly mac: string }
  | { readonly kind: 'ovs-unplug'; readonly connection: string; readonly bridge: string; readonly device: string };

export const ovsPlugStep = (ovs: OvsPlugSettings, device: string, port: { readonly id: string; readonly mac: string }): OvsPlugStep => ({
  kind: 'ovs-plug',
  ...ovs,
  device,
  portId: port.id,
  mac: port.mac,
});

const commandsOf = (step: OvsPlugStep): string[][] =>
  step.kind === 'ovs-plug' ? plugVifCommands(step.bridge, step.device, { portId: step.portId, mac: step.mac }) : [['--if-exists', 'del-port', step.bridge, step.device]];

/** The ovs-vsctl command line the step runs. */
export const describeOvsPlug = (step: OvsPlugStep): string => `ovs-vsctl --db=${step.connection} ${commandsOf(step).map((c) => `-- ${c.join(' ')}`).join(' ')}`;

export async function applyOvsPlug(step: OvsPlugStep): Promise<void> {
  await new OpenVswitch(step.connection).vsctl(commandsOf(step));
}

/** The integration bridge's ports by name, each with the Neutron port its iface-id names ('' for none). */
export async function integrationBridgePorts(ovs: OvsPlugSettings): Promise<Map<string, string>> {
  const bridge = (await new OpenVswitch(ovs.connection).bridges()).find((b) => b.name === ovs.bridge);
  return new Map((bridge?.ports ?? []).map((port) => [port.name, port.interfaces[0]?.externalIds['iface-id'] ?? '']));
}

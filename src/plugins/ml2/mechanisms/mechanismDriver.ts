import type { PortBinding } from '../../core/deps.js';
import type { Segment } from '../segment.js';

/** What a driver sees when asked to bind a port (neutron_lib/plugins/ml2/api.py PortContext, the binding part). */
export interface BindingContext {
  readonly hostId: string;
  readonly vnicType: string;
  readonly segments: readonly Segment[];
  /** Alive agents of a type on the port's host, with what they reported. */
  agentsOnHost(agentType: string): Promise<readonly AgentView[]>;
}

export interface AgentView {
  readonly configurations: Readonly<Record<string, unknown>>;
}

export interface MechanismDriver {
  readonly name: string;
  /** A binding when this driver can plug the port on its host; undefined to let the next driver try. */
  bindPort?(context: BindingContext): Promise<PortBinding | undefined>;
}

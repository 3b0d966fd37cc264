/** The configured mechanism drivers, tried in mechanism_drivers order to bind a port. */
import type { Tx } from '../../../db/schema.js';
import type { BindingRequest, PortBinding } from '../../core/deps.js';
import type { Segment } from '../segment.js';
import type { AgentView, MechanismDriver } from './mechanismDriver.js';

export const BINDING_FAILED: PortBinding = { vifType: 'binding_failed', vifDetails: {} };

export interface BindingSources {
  segments(tx: Tx, networkId: string): Promise<Segment[]>;
  /** Read in the port's transaction: on SQLite it holds the only connection. */
  aliveAgents(tx: Tx, agentType: string, host: string): Promise<readonly AgentView[]>;
}

export class MechanismManager {
  constructor(
    readonly drivers: readonly MechanismDriver[],
    private readonly sources: BindingSources,
  ) {}

  async bindPort(tx: Tx, request: BindingRequest): Promise<PortBinding> {
    const segments = await this.sources.segments(tx, request.networkId);
    const context = {
      hostId: request.hostId,
      vnicType: request.vnicType,
      segments,
      agentsOnHost: (agentType: string) => this.sources.aliveAgents(tx, agentType, request.hostId),
    };
    for (const driver of this.drivers) {
      const binding = await driver.bindPort?.(context);
      if (binding) return binding;
    }
    return BINDING_FAILED;
  }
}

import { bool, dict, string255, timestamp, uuid } from '../attributeTypes.js';
import { adminOnly } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

/** Agents register themselves over the bus (report_state); the API only reads, updates and deletes them. */
export const agents = {
  collection: 'agents',
  member: 'agent',
  table: 'agents',
  notFound: { type: 'AgentNotFound', message: (id) => `Agent ${id} could not be found.` },
  policy: { rules: adminOnly('agent') },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    agent_type: { type: string255, filter: true, sort: true, column: 'agent_type' },
    binary: { type: string255, filter: true, sort: true, column: 'binary' },
    topic: { type: string255, filter: true, sort: true, column: 'topic' },
    host: { type: string255, filter: true, sort: true, column: 'host' },
    admin_state_up: { type: bool, put: true, filter: true, sort: true, column: 'admin_state_up' },
    created_at: { type: timestamp, sort: true, column: 'created_at' },
    started_at: { type: timestamp, sort: true, column: 'started_at' },
    heartbeat_timestamp: { type: timestamp, sort: true, column: 'heartbeat_timestamp' },
    // Derived from heartbeat_timestamp and agent_down_time.
    alive: { type: bool, filter: 'plugin' },
    configurations: { type: dict },
    description: { type: { kind: 'string', maxLength: 255 }, put: true, filter: true, column: 'description' },
  },
} as const satisfies ResourceDecl;

export const agent = {
  alias: 'agent',
  name: 'agent',
  description: 'The agents that serve the networks (DHCP, Linux bridge, metadata, ...) and whether they are alive.',
  updated: '2013-02-03T10:00:00-00:00',
  resources: [agents],
} as const satisfies ExtensionDecl;

export const availabilityZone = {
  alias: 'availability_zone',
  name: 'Availability Zone',
  description: 'The availability zone an agent reports, shown on the agent.',
  updated: '2015-01-01T10:00:00-00:00',
  extends: { agents: { availability_zone: { type: string255, nullable: true, filter: true, column: 'availability_zone' } } },
} as const satisfies ExtensionDecl;

/**
 * Whether the agent's resources last reached Placement (neutron-lib
 * agent_resources_synced): read-only, null until an agent reports resources
 * to Placement, which Nucleon's agents do not do.
 */
export const agentResourcesSynced = {
  alias: 'agent-resources-synced',
  name: "Agent's Resource View Synced to Placement",
  description: 'Stores success/failure of last sync to Placement',
  updated: '2018-12-19T00:00:00-00:00',
  extends: { agents: { resources_synced: { type: bool, nullable: true } } },
} as const satisfies ExtensionDecl;

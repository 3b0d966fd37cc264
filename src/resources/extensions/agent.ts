import { bool, dict, string255, timestamp, uuid } from '../attributeTypes.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

/** Agents register themselves over the bus (report_state); the API only reads, updates and deletes them. */
const agents = {
  collection: 'agents',
  member: 'agent',
  attributes: {
    id: { type: uuid, filter: true, sort: true },
    agent_type: { type: string255, filter: true, sort: true },
    binary: { type: string255, filter: true, sort: true },
    topic: { type: string255, filter: true, sort: true },
    host: { type: string255, filter: true, sort: true },
    admin_state_up: { type: bool, put: true, filter: true, sort: true },
    created_at: { type: timestamp, sort: true },
    started_at: { type: timestamp, sort: true },
    heartbeat_timestamp: { type: timestamp, sort: true },
    alive: { type: bool, filter: true },
    configurations: { type: dict },
    description: { type: { kind: 'string', maxLength: 255 }, put: true, filter: true },
    resources_synced: { type: bool, nullable: true },
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
  extends: { agents: { availability_zone: { type: string255, nullable: true, filter: true } } },
} as const satisfies ExtensionDecl;

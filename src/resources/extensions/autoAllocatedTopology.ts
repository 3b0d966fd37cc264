/**
 * Get-me-a-network (neutron-lib's auto_allocated_topology definition):
 * `GET /v2.0/auto-allocated-topology/{project_id}` gives the project a
 * network with a subnet from each default subnet pool behind a router whose
 * gateway is on the default external network, made on the first call;
 * `DELETE` takes it all away. `is_default` marks that external network.
 * Served by api/autoAllocatedTopologyRoutes.ts, not by the generic
 * controller: its GET creates, and `fields=dry-run` asks a question.
 */
import { bool, projectId, uuid } from '../attributeTypes.js';
import { ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, deprecated, RULE_ADMIN_OR_OWNER } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

export const autoAllocatedTopologies = {
  collection: 'auto-allocated-topology',
  member: 'auto_allocated_topology',
  table: 'auto_allocated_topologies',
  attributes: {
    // The project's auto-allocated network.
    id: { type: uuid, column: 'network_id' },
    tenant_id: { type: projectId, column: 'project_id' },
  },
  // neutron/conf/policies/auto_allocated_topology.py (is_default's create/update rules come from `policy: 'admin'`).
  policy: {
    rules: {
      get_auto_allocated_topology: deprecated(ADMIN_OR_PROJECT_READER, RULE_ADMIN_OR_OWNER),
      delete_auto_allocated_topology: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const autoAllocatedTopology = {
  alias: 'auto-allocated-topology',
  name: 'Auto Allocated Topology Services',
  description: 'Auto Allocated Topology Services.',
  updated: '2016-01-01T00:00:00-00:00',
  extends: {
    networks: {
      // Kept only on external networks, one of them at a time (plugins/l3/autoAllocate.ts).
      is_default: { type: bool, post: true, put: true, default: false, filter: true, policy: 'admin', column: 'is_default' },
    },
  },
  resources: [autoAllocatedTopologies],
} as const satisfies ExtensionDecl;

import { bool, name, projectId, uuid, uuidList } from './attributeTypes.js';
import {
  ADMIN,
  ADMIN_OR_PROJECT_MEMBER,
  ADMIN_OR_PROJECT_READER,
  deprecated,
  or,
  RULE_ADMIN_OR_OWNER,
  RULE_ADVSVC,
  RULE_ANY,
  SERVICE,
} from './policyRules.js';
import type { ResourceDecl } from './types.js';

/** The core `networks` resource (neutron-lib api/definitions/network.py). */
export const network = {
  collection: 'networks',
  member: 'network',
  table: 'networks',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'NetworkNotFound', message: (id) => `Network ${id} could not be found.` },
  // The server's own networks (an HA network of no project) are counted but never refused.
  quota: { exempt: (object) => object.tenant_id === '' },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    subnets: { type: uuidList },
    admin_state_up: { type: bool, post: true, put: true, default: true, filter: true, sort: true, column: 'admin_state_up' },
    status: { type: name, filter: true, sort: true, column: 'status' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    // Derived for the caller from the RBAC entries (rbac-policies): a '*' access_as_shared entry or one for its project.
    shared: { type: bool, post: true, put: true, default: false, filter: 'plugin', policy: 'admin' },
  },
  // neutron/conf/policies/network.py
  policy: {
    foreignKey: 'network_id',
    rules: {
      external: 'field:networks:router:external=True',
      create_network: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_network:shared': ADMIN,
      'create_network:router:external': ADMIN,
      'create_network:is_default': ADMIN,
      'create_network:port_security_enabled': deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_network:segments': ADMIN,
      'create_network:provider:network_type': ADMIN,
      'create_network:provider:physical_network': ADMIN,
      'create_network:provider:segmentation_id': ADMIN,
      'create_network:tags': ADMIN_OR_PROJECT_MEMBER,
      get_network: deprecated(or(ADMIN_OR_PROJECT_READER, SERVICE, 'rule:shared', 'rule:external', RULE_ADVSVC), or(RULE_ADMIN_OR_OWNER, 'rule:shared', 'rule:external', RULE_ADVSVC)),
      'get_network:segments': ADMIN,
      'get_network:provider:network_type': ADMIN,
      'get_network:provider:physical_network': ADMIN,
      'get_network:provider:segmentation_id': ADMIN,
      'get_network:tags': deprecated(or(ADMIN_OR_PROJECT_READER, 'rule:shared', 'rule:external', RULE_ADVSVC), ADMIN_OR_PROJECT_READER),
      update_network: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_network:segments': ADMIN,
      'update_network:shared': ADMIN,
      'update_network:provider:network_type': ADMIN,
      'update_network:provider:physical_network': ADMIN,
      'update_network:provider:segmentation_id': ADMIN,
      'update_network:router:external': ADMIN,
      'update_network:is_default': ADMIN,
      'update_network:port_security_enabled': deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_network:tags': ADMIN_OR_PROJECT_MEMBER,
      delete_network: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'delete_network:tags': ADMIN_OR_PROJECT_MEMBER,
    },
  },
} as const satisfies ResourceDecl;

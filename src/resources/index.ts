/** The resources and extensions this build of Nucleon serves, in the order /v2.0/extensions lists them. */
import { addressGroup, rbacAddressGroup, securityGroupsRemoteAddressGroup } from './extensions/addressGroup.js';
import { addressScope } from './extensions/addressScope.js';
import { agent, agentResourcesSynced, availabilityZone } from './extensions/agent.js';
import { allowedAddressPairs } from './extensions/allowedAddressPairs.js';
import { autoAllocatedTopology } from './extensions/autoAllocatedTopology.js';
import { dhcpAgentScheduler } from './extensions/dhcpAgentScheduler.js';
import { dnsIntegration } from './extensions/dnsIntegration.js';
import { externalNet } from './extensions/externalNet.js';
import { extraDhcpOpt } from './extensions/extraDhcpOpt.js';
import { flavorsExtension, l3Flavors, serviceType } from './extensions/flavors.js';
import { emptyStringFiltering, filterValidation, ipSubstringFiltering, pagination, sorting } from './extensions/listBehaviour.js';
import { netMtu, netMtuWritable } from './extensions/netMtu.js';
import { availabilityZoneFilter, networkAvailabilityZone } from './extensions/networkAvailabilityZone.js';
import { networkIpAvailability } from './extensions/networkIpAvailability.js';
import { bindingExtended, portBinding } from './extensions/portBinding.js';
import { portDeviceProfile, portNumaAffinityPolicy } from './extensions/portDeviceProfileNuma.js';
import { portMacAddressRegenerate, portMacOverride } from './extensions/portMacAddressRegenerate.js';
import { portSecurity } from './extensions/portSecurity.js';
import { projectId } from './extensions/projectId.js';
import { quotaCheckLimit, quotaDetails, quotas } from './extensions/quotas.js';
import { multiProvider, provider } from './extensions/provider.js';
import { rbac, rbacAddressScope, rbacSecurityGroups, rbacSubnetpool } from './extensions/rbac.js';
import { revisionIfMatch } from './extensions/revisionIfMatch.js';
import {
  dvr,
  extGwMode,
  extraroute,
  extrarouteAtomic,
  l3Ha,
  l3PortIpChangeNotAllowed,
  router,
  routerAdminStateDownBeforeUpdate,
  routerAvailabilityZone,
} from './extensions/router.js';
import { fipPortDetails, fipPortForwardingDetail, floatingipPools } from './extensions/floatingIp.js';
import { l3AgentScheduler } from './extensions/l3AgentScheduler.js';
import { segment, standardAttrSegment } from './extensions/segment.js';
import {
  portSecurityGroupsFiltering,
  securityGroup,
  securityGroupsNormalizedCidr,
  securityGroupsRulesBelongsToDefaultSg,
  securityGroupsSharedFiltering,
  statefulSecurityGroup,
} from './extensions/securityGroup.js';
import { defaultSubnetpools, subnetAllocation, subnetOnboard, subnetpoolPrefixOps } from './extensions/subnetAllocation.js';
import { subnetServiceTypes } from './extensions/subnetServiceTypes.js';
import { standardAttrDescription } from './extensions/standardAttrDescription.js';
import { standardAttrRevisions } from './extensions/standardAttrRevisions.js';
import { standardAttrTag, tagCreation } from './extensions/standardAttrTag.js';
import { standardAttrTimestamp } from './extensions/standardAttrTimestamp.js';
import { network } from './network.js';
import { port } from './port.js';
import { subnet } from './subnet.js';
import type { ExtensionDecl, ResourceDecl } from './types.js';

export const coreResources = [network, subnet, port] as const satisfies readonly ResourceDecl[];

export const coreExtensions = [
  projectId,
  standardAttrDescription,
  standardAttrTimestamp,
  standardAttrRevisions,
  revisionIfMatch,
  standardAttrTag,
  tagCreation,
  pagination,
  sorting,
  filterValidation,
  ipSubstringFiltering,
  emptyStringFiltering,
  netMtu,
  netMtuWritable,
  networkIpAvailability,
  externalNet,
  portSecurity,
  allowedAddressPairs,
  extraDhcpOpt,
  dnsIntegration,
  portBinding,
  bindingExtended,
  portMacAddressRegenerate,
  portMacOverride,
  portDeviceProfile,
  portNumaAffinityPolicy,
  provider,
  multiProvider,
  segment,
  standardAttrSegment,
  agent,
  agentResourcesSynced,
  availabilityZone,
  networkAvailabilityZone,
  availabilityZoneFilter,
  dhcpAgentScheduler,
  securityGroup,
  statefulSecurityGroup,
  portSecurityGroupsFiltering,
  securityGroupsNormalizedCidr,
  securityGroupsRulesBelongsToDefaultSg,
  addressGroup,
  rbacAddressGroup,
  securityGroupsRemoteAddressGroup,
  quotas,
  quotaDetails,
  quotaCheckLimit,
  addressScope,
  subnetAllocation,
  defaultSubnetpools,
  subnetpoolPrefixOps,
  subnetOnboard,
  subnetServiceTypes,
  rbac,
  rbacAddressScope,
  rbacSubnetpool,
  rbacSecurityGroups,
  securityGroupsSharedFiltering,
  // Neutron's flavors service plugin, a default one: loaded whatever service_plugins says.
  flavorsExtension,
  serviceType,
] as const satisfies readonly ExtensionDecl[];

/**
 * The extensions of the L3 router service plugin, loaded with
 * `service_plugins = router` after the core ones, in Neutron's order.
 */
export const routerExtensions = [
  router,
  extGwMode,
  extraroute,
  extrarouteAtomic,
  l3AgentScheduler,
  fipPortDetails,
  fipPortForwardingDetail,
  floatingipPools,
  l3PortIpChangeNotAllowed,
  routerAdminStateDownBeforeUpdate,
  dvr,
  l3Ha,
  routerAvailabilityZone,
  l3Flavors,
  // Neutron's auto_allocate service plugin; this build serves it with the router plugin it needs.
  autoAllocatedTopology,
] as const satisfies readonly ExtensionDecl[];

/** Every extension this build declares, loaded or not: the object types (resources/objectTypes.ts) cover them all. */
export type DeclaredExtension = (typeof coreExtensions)[number] | (typeof routerExtensions)[number];

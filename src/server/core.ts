/** Builds the core plugin (networks, subnets, ports, tags) over an open database. */
import { AddressGroupService } from '../plugins/addressgroups/addressGroups.js';
import { NetworkAvailabilityZones } from '../plugins/agents/networkAvailabilityZones.js';
import { addressScopeService } from '../plugins/addressscopes/addressScopes.js';
import { showNetworkAddressScopes } from '../plugins/addressscopes/networkAddressScopes.js';
import { isUniqueViolation } from '../db/errors.js';
import { DEFAULT_DB_RETRY, type DbRetryPolicy, noteCommitted, withDbRetries } from '../db/retry.js';
import type { Db } from '../db/schema.js';
import { EventBus } from '../events/bus.js';
import type { Collection } from '../plugins/collection.js';
import { ByResource, type CoreDeps } from '../plugins/core/deps.js';
import type { ComposedApi } from '../resources/compose.js';
import type { CoreEvents } from '../plugins/core/events.js';
import { NetworkService } from '../plugins/core/networks.js';
import type { CoreOptions } from '../plugins/core/options.js';
import { PortService } from '../plugins/core/ports.js';
import { SubnetService } from '../plugins/core/subnets.js';
import { TagService } from '../plugins/core/tags.js';
import { QuotaService } from '../plugins/quotas/quotaService.js';
import { RbacPolicyService } from '../plugins/rbac/rbacPolicies.js';
import type { QuotaLimits } from '../plugins/quotas/storage.js';
import { SecurityGroupService } from '../plugins/securitygroups/groups.js';
import { SubnetPoolService } from '../plugins/subnetpools/subnetPools.js';
import { PortSecurityGroups, portsUsingGroups } from '../plugins/securitygroups/portBindings.js';
import { SecurityGroupRuleService } from '../plugins/securitygroups/rules.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Logger } from './logger.js';

export function coreOptionsFrom(config: LoadedNeutronConfig['config']): CoreOptions {
  const d = config.DEFAULT;
  return {
    baseMac: d.base_mac,
    macGenerationRetries: d.mac_generation_retries,
    globalPhysnetMtu: d.global_physnet_mtu,
    maxFixedIpsPerPort: d.max_fixed_ips_per_port,
    dnsDomain: d.dns_domain,
    maxDnsNameservers: d.max_dns_nameservers,
    maxSubnetHostRoutes: d.max_subnet_host_routes,
    maxAllowedAddressPairs: d.max_allowed_address_pair,
    defaultAvailabilityZones: d.default_availability_zones,
  };
}

/**
 * [quotas]: each resource's quota_<resource>. (default_quota is for resources
 * without an option of their own, as upstream: every resource listed has one.)
 */
export function quotaDefaultsFrom(config: LoadedNeutronConfig['config']): QuotaLimits {
  const q = config.quotas;
  return {
    network: q.quota_network,
    subnet: q.quota_subnet,
    // Upstream registers no quota_subnetpool option: the default applies.
    subnetpool: q.default_quota,
    port: q.quota_port,
    router: q.quota_router,
    floatingip: q.quota_floatingip,
    security_group: q.quota_security_group,
    security_group_rule: q.quota_security_group_rule,
    rbac_policy: q.quota_rbac_policy,
  };
}

export interface Core {
  readonly deps: CoreDeps;
  readonly networks: NetworkService;
  readonly subnets: SubnetService;
  readonly ports: PortService;
  readonly tags: TagService;
  readonly quotas: QuotaService;
  readonly collections: ReadonlyMap<string, Collection>;
}

/** oslo.db's transaction retries, from [database] db_max_retries, db_retry_interval, db_inc_retry_interval, db_max_retry_interval. */
export function dbRetryPolicyFrom(config: LoadedNeutronConfig['config']): DbRetryPolicy {
  const { db_max_retries, db_retry_interval, db_inc_retry_interval, db_max_retry_interval } = config.database;
  return {
    maxRetries: db_max_retries,
    retryIntervalMs: db_retry_interval * 1000,
    incRetryInterval: db_inc_retry_interval,
    maxRetryIntervalMs: db_max_retry_interval * 1000,
  };
}

export function buildCore(
  db: Db,
  api: ComposedApi,
  options: CoreOptions,
  log: Logger,
  quotaDefaults: QuotaLimits,
  retry: DbRetryPolicy = DEFAULT_DB_RETRY,
): Core {
  // Generated MACs and addresses can race with another server: the unique keys catch it and the whole transaction re-runs.
  const retryOptions = {
    alsoRetry: isUniqueViolation,
    onRetry: (err: unknown, kind: string, attempt: number, waitMs: number) => {
      const fields = { err: err instanceof Error ? err.message : String(err), attempt, wait_ms: Math.round(waitMs) };
      if (kind === 'connection') log.warn(fields, 'database connection lost; running the transaction again');
      else log.debug(fields, 'database conflict; running the transaction again');
    },
  };
  const deps: CoreDeps = {
    db,
    options,
    events: new EventBus<CoreEvents>(log),
    api,
    extenders: new ByResource(() => []),
    filters: new ByResource(() => new Map()),
    binding: {},
    transaction: async (work) => {
      const result = await withDbRetries(() => db.transaction().execute(work), retry, retryOptions);
      noteCommitted();
      return result;
    },
    random: Math.random,
  };
  // Quotas subscribe first: a create beyond its project's limit fails before other subscribers do work.
  const quotas = new QuotaService({ db, api, transaction: deps.transaction, defaults: quotaDefaults });
  quotas.enforcer.subscribe(deps.events, api.resources.values());

  const networks = new NetworkService(deps);
  const subnets = new SubnetService(deps);
  const ports = new PortService(deps);
  const securityGroups = new SecurityGroupService(deps);
  const securityGroupRules = new SecurityGroupRuleService(deps);

  // Security groups: a project's default group appears with its first network; a port's
  // groups are chosen and stored inside the port's transaction, shown and filtered on by the plugin.
  const portGroups = new PortSecurityGroups(deps);
  deps.events.on('network.after_create', portGroups.networkCreated);
  deps.events.on('port.precommit_create', portGroups.portCreating);
  deps.events.on('port.precommit_update', portGroups.portUpdating);
  deps.extenders.of('port').push(portGroups.extender);
  deps.filters.of('port').set('security_groups', portsUsingGroups);

  // network_availability_zone: hints checked and stored in the network's transaction, zones shown from its DHCP agents.
  new NetworkAvailabilityZones(deps, options.defaultAvailabilityZones ?? []);
  // address-scope: networks show the scopes of the pools their subnets come from.
  showNetworkAddressScopes(deps);

  const collections = new Map<string, Collection>([
    ['networks', networks],
    ['subnets', subnets],
    ['ports', ports],
    ['security-groups', securityGroups],
    ['security-group-rules', securityGroupRules],
    ['address-scopes', addressScopeService(deps)],
    ['subnetpools', new SubnetPoolService(deps).collection],
    ['rbac-policies', new RbacPolicyService(deps)],
    ['address-groups', new AddressGroupService(deps).collection],
  ]);
  return { deps, networks, subnets, ports, tags: new TagService(deps), quotas, collections };
}

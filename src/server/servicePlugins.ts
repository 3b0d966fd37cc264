/**
 * [DEFAULT] service_plugins: which service plugins the server loads, by
 * Nucleon's short names or Neutron's entry points and class paths, as a
 * neutron.conf written for Neutron names them. An unknown name stops the
 * server, naming file, section, option and value; so do router options
 * Neutron's L3 plugin refuses at start.
 */
import { checkCreate } from '../api/body.js';
import { RouterAttributes, type RouterHooks } from '../plugins/l3/routerAttributes.js';
import { RouterFlavors } from '../plugins/l3/routerFlavors.js';
import type { RouterOptions } from '../plugins/l3/routers.js';
import { parseCidr, formatCidr } from '../plugins/ipam/cidr.js';
import { routerAdminStateDownBeforeUpdate, dvr } from '../resources/extensions/router.js';
import { routerExtensions } from '../resources/index.js';
import type { ComposedApi } from '../resources/compose.js';
import type { ExtensionDecl } from '../resources/types.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Core } from './core.js';

export type ServicePlugin = 'router' | 'segments';

type DefaultSection = LoadedNeutronConfig['config']['DEFAULT'];

/** Every accepted spelling of each plugin. */
const NAMES: Readonly<Record<string, ServicePlugin>> = {
  router: 'router',
  'neutron.services.l3_router.l3_router_plugin.L3RouterPlugin': 'router',
  // Routed networks' segments are part of Nucleon's ML2 and always served: naming them is accepted and changes nothing.
  segments: 'segments',
  'neutron.services.segments.plugin.Plugin': 'segments',
};

/** The service plugins the configuration loads. */
export function servicePluginsFrom(loaded: LoadedNeutronConfig): ReadonlySet<ServicePlugin> {
  const plugins = new Set<ServicePlugin>();
  for (const name of loaded.config.DEFAULT.service_plugins) {
    const plugin = NAMES[name];
    if (plugin === undefined) {
      throw loaded.errorFor('DEFAULT', 'service_plugins', `unknown service plugin '${name}' (known: ${Object.keys(NAMES).join(', ')})`);
    }
    plugins.add(plugin);
  }
  if (plugins.has('router')) checkRouterOptions(loaded);
  return plugins;
}

/** What L3_HA_NAT_db_mixin._verify_configuration refuses: an HA CIDR that is not a network address, a negative agent count. */
function checkRouterOptions(loaded: LoadedNeutronConfig): void {
  const { l3_ha_net_cidr: haCidr, max_l3_agents_per_router: maxAgents } = loaded.config.DEFAULT;
  const cidr = haCidr.includes('/') ? parseCidr(haCidr) : null;
  if (cidr === null || formatCidr(cidr) !== haCidr.toLowerCase()) {
    throw loaded.errorFor('DEFAULT', 'l3_ha_net_cidr', `'${haCidr}' is not a network address with its prefix length`);
  }
  if (maxAgents < 0) {
    throw loaded.errorFor('DEFAULT', 'max_l3_agents_per_router', `${maxAgents} cannot be negative: 1 or more, or 0 for every agent`);
  }
}

/** The extensions the loaded service plugins add to the core ones; enable_dvr = false leaves out dvr and the admin-state-down rule. */
export function serviceExtensions(plugins: ReadonlySet<ServicePlugin>, config: Pick<DefaultSection, 'enable_dvr'>): readonly ExtensionDecl[] {
  if (!plugins.has('router')) return [];
  const withoutDvr = new Set<string>([dvr.alias, routerAdminStateDownBeforeUpdate.alias]);
  return config.enable_dvr ? routerExtensions : routerExtensions.filter((extension) => !withoutDvr.has(extension.alias));
}

/** The router plugin's options, with the dvr / l3-ha / availability zone attributes and flavors subscribed to the core's router events. */
export function routerOptions(config: DefaultSection, core: Core, api: ComposedApi): RouterOptions {
  const attributes = new RouterAttributes(
    core.deps,
    {
      routerDistributed: config.router_distributed,
      l3Ha: config.l3_ha,
      defaultAvailabilityZones: config.default_availability_zones,
      haNetCidr: config.l3_ha_net_cidr,
      haNetworkType: config.l3_ha_network_type,
      haNetworkPhysicalName: config.l3_ha_network_physical_name,
    },
    {
      networks: core.networks,
      subnets: core.subnets,
      checkCreate: (collection, body, ctx) => checkCreate(api.resource(collection), body, ctx, { allowBulk: false }).items[0]!,
    },
  );
  // The flavor's provider is checked first, as upstream's driver controller: a refused request makes no HA network.
  const flavors = new RouterFlavors(core.deps);
  const hooks: RouterHooks = {
    beforeCreate: async (ctx, items) => {
      await flavors.beforeCreate(ctx, items);
      await attributes.beforeCreate(ctx, items);
    },
  };
  return { enableSnatByDefault: config.enable_snat_by_default, hooks };
}

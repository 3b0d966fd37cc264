/**
 * Builds Neutron's flavors service plugin, loaded whatever service_plugins
 * says (a default service plugin upstream): flavors, service profiles and
 * their bindings, and /v2.0/service-providers with the provider drivers of
 * the loaded plugins (the L3 ones with the router plugin).
 */
import type { Collection, NestedCollection } from '../plugins/collection.js';
import { FlavorServiceProfiles, flavorService, serviceProfileService } from '../plugins/flavors/flavors.js';
import { type ServiceProvider, ServiceProviderService } from '../plugins/flavors/serviceProviders.js';
import { L3_PROVIDERS, L3_SERVICE_TYPE } from '../plugins/l3/routerProviders.js';
import type { Core } from './core.js';
import type { ServicePlugin } from './servicePlugins.js';

/**
 * The plugin types of what is loaded (neutron-lib's plugin directory, which
 * type:service_plugin_type asks): the core plugin, Neutron's default
 * service plugins that this build always serves (flavors, tag, timestamp,
 * network-ip-availability, revisions), and the configured ones.
 */
function serviceTypes(plugins: ReadonlySet<ServicePlugin>): ReadonlySet<string> {
  const types = new Set(['CORE', 'FLAVORS', 'TAG', 'timestamp', 'network-ip-availability', 'revision_plugin']);
  // auto-allocated-topology comes with the router plugin in this build.
  if (plugins.has('router')) for (const type of [L3_SERVICE_TYPE, 'auto-allocated-topology']) types.add(type);
  if (plugins.has('segments')) types.add('segments');
  return types;
}

export function buildFlavors(core: Core, plugins: ReadonlySet<ServicePlugin>): readonly (readonly [string, Collection | NestedCollection])[] {
  const l3: readonly ServiceProvider[] = plugins.has('router')
    ? L3_PROVIDERS.map((p) => ({ serviceType: L3_SERVICE_TYPE, name: p.name, driver: p.driver, isDefault: false }))
    : [];
  const providers = new ServiceProviderService(l3);
  const flavors = flavorService(core.deps, serviceTypes(plugins));
  const profiles = serviceProfileService(core.deps, providers);
  return [
    ['flavors', flavors],
    ['service_profiles', profiles],
    ['flavor_service_profiles', new FlavorServiceProfiles(core.deps, flavors)],
    ['service-providers', providers],
  ];
}

/**
 * [DEFAULT] service_plugins: which service plugins the server loads, by
 * Nucleon's short names or Neutron's entry points and class paths, as a
 * neutron.conf written for Neutron names them. An unknown name stops the
 * server, naming file, section, option and value.
 */
import { routerExtensions } from '../resources/index.js';
import type { ExtensionDecl } from '../resources/types.js';
import type { LoadedNeutronConfig } from './config.js';

export type ServicePlugin = 'router' | 'segments';

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
  return plugins;
}

/** The extensions the loaded service plugins add to the core ones. */
export function serviceExtensions(plugins: ReadonlySet<ServicePlugin>): readonly ExtensionDecl[] {
  return plugins.has('router') ? routerExtensions : [];
}

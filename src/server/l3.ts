/** Builds the L3 router service plugin (service_plugins = router) over the core plugin. */
import type { Collection } from '../plugins/collection.js';
import { FloatingIpPoolService } from '../plugins/l3/floatingipPools.js';
import { FloatingIpService } from '../plugins/l3/floatingIps.js';
import { type RouterOptions, RouterService } from '../plugins/l3/routers.js';
import type { Core } from './core.js';

export interface L3Plugin {
  readonly routers: RouterService;
  readonly floatingIps: FloatingIpService;
  readonly collections: readonly (readonly [string, Collection])[];
}

export function buildL3(core: Core, options: RouterOptions): L3Plugin {
  const routers = new RouterService(core.deps, core.ports, core.subnets, options);
  const floatingIps = new FloatingIpService(core.deps, core.ports);
  core.networks.beforeDelete.push((tx, networkId) => floatingIps.deleteUnassociated(tx, networkId));
  return {
    routers,
    floatingIps,
    collections: [
      ['routers', routers],
      ['floatingips', floatingIps],
      ['floatingip_pools', new FloatingIpPoolService(core.deps)],
    ],
  };
}

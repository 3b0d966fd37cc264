/**
 * The L3 service provider drivers Neutron's L3 plugin always registers
 * (neutron/services/l3_router/service_providers/: single_node, dvr, ha,
 * dvrha), with what each supports of a router's `distributed` and `ha`. A
 * router's flavor names one through its service profile's driver; a
 * request asking for what that driver cannot do is refused. Nucleon's data
 * plane runs every router as a legacy one whichever provider it has.
 */
import { InvalidInput } from '../../common/errors.js';

/** What a provider does with a feature (base._FeatureFlag): never, on request, or always. */
export type FeatureSupport = 'unsupported' | 'optional' | 'mandatory';

export interface L3Provider {
  readonly name: string;
  readonly driver: string;
  readonly distributed: FeatureSupport;
  readonly ha: FeatureSupport;
}

/** neutron-lib's plugin type of the L3 router plugin: flavors of routers have this service type. */
export const L3_SERVICE_TYPE = 'L3_ROUTER_NAT';

const driverPath = (module: string) => `neutron.services.l3_router.service_providers.${module}`;

/** In the order Neutron registers them (driver_controller's _LegacyPlusProviderConfiguration); none is the default. */
export const L3_PROVIDERS: readonly L3Provider[] = [
  { name: 'dvrha', driver: driverPath('dvrha.DvrHaDriver'), distributed: 'mandatory', ha: 'mandatory' },
  { name: 'dvr', driver: driverPath('dvr.DvrDriver'), distributed: 'mandatory', ha: 'unsupported' },
  { name: 'ha', driver: driverPath('ha.HaDriver'), distributed: 'unsupported', ha: 'mandatory' },
  { name: 'single_node', driver: driverPath('single_node.SingleNodeDriver'), distributed: 'unsupported', ha: 'unsupported' },
];

/** _FeatureFlag.is_compatible: a mandatory feature cannot be turned off, an unsupported one cannot be turned on. */
export function supports(support: FeatureSupport, value: boolean): boolean {
  return value ? support !== 'unsupported' : support !== 'mandatory';
}

/** _ensure_driver_supports_request: each of distributed and ha the request sets must suit the provider. */
export function checkProviderSupports(provider: L3Provider, request: Readonly<Record<string, unknown>>): void {
  for (const key of ['distributed', 'ha'] as const) {
    const flag = request[key];
    if (typeof flag !== 'boolean') continue;
    if (!supports(provider[key], flag)) {
      throw new InvalidInput(`Provider ${provider.name} does not support ${key}=${flag ? 'True' : 'False'}`);
    }
  }
}

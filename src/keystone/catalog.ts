/**
 * The service catalog of a Keystone v3 token (`token.catalog` in the answer
 * to `POST /v3/auth/tokens` without `?nocatalog`), and finding an endpoint
 * in it the way keystoneauth does: by service type, interface (`public`,
 * `internal`, `admin`; the v2-style `publicURL` means `public`) and,
 * when one is given, region (an endpoint's `region_id` or `region`).
 */
export interface CatalogEndpoint {
  readonly interface: string;
  readonly regionId: string | undefined;
  readonly url: string;
}

export interface CatalogService {
  readonly type: string;
  readonly name: string | undefined;
  readonly endpoints: readonly CatalogEndpoint[];
}

export interface EndpointFilter {
  readonly serviceType: string;
  readonly interface: string;
  /** Unset: any region. */
  readonly region?: string | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringIn = (object: Json, key: string): string | undefined => {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The catalog of a token body; empty when the body has none (a `?nocatalog` token, or not a token). */
export function parseCatalog(body: unknown): CatalogService[] {
  if (!isObject(body) || !isObject(body['token'])) return [];
  const catalog = body['token']['catalog'];
  if (!Array.isArray(catalog)) return [];
  return catalog.flatMap((service): CatalogService[] => {
    if (!isObject(service)) return [];
    const type = stringIn(service, 'type');
    if (type === undefined) return [];
    const endpoints = Array.isArray(service['endpoints'])
      ? service['endpoints'].flatMap((endpoint): CatalogEndpoint[] => {
          if (!isObject(endpoint)) return [];
          const url = stringIn(endpoint, 'url');
          const iface = stringIn(endpoint, 'interface');
          if (url === undefined || iface === undefined) return [];
          return [{ interface: iface, regionId: stringIn(endpoint, 'region_id') ?? stringIn(endpoint, 'region'), url }];
        })
      : [];
    return [{ type, name: stringIn(service, 'name'), endpoints }];
  });
}

/** `publicURL` -> `public`, as keystoneauth accepts both spellings. */
const normalInterface = (name: string): string => name.replace(/URL$/, '').toLowerCase();

/** The URL of the first endpoint that matches, or undefined. */
export function findEndpoint(catalog: readonly CatalogService[], filter: EndpointFilter): string | undefined {
  const wanted = normalInterface(filter.interface);
  for (const service of catalog) {
    if (service.type !== filter.serviceType) continue;
    for (const endpoint of service.endpoints) {
      if (normalInterface(endpoint.interface) !== wanted) continue;
      if (filter.region !== undefined && endpoint.regionId !== filter.region) continue;
      return endpoint.url;
    }
  }
  return undefined;
}

import type { AttrDecl, ResourceDecl } from '../resources/types.js';

const cache = new WeakMap<ResourceDecl, ReadonlyMap<string, AttrDecl>>();

/**
 * A resource's attributes in declaration order, with `tenant_id` and
 * `project_id` completing each other: declaring one declares both, as
 * neutron-lib's populate_project_info does to attribute maps. Bodies,
 * filters, sort keys and `fields` all accept either name.
 */
export function attributesOf(resource: ResourceDecl): ReadonlyMap<string, AttrDecl> {
  let attrs = cache.get(resource);
  if (attrs === undefined) {
    const map = new Map(Object.entries(resource.attributes));
    const tenant = map.get('tenant_id');
    const project = map.get('project_id');
    if (tenant !== undefined && project === undefined) map.set('project_id', tenant);
    if (project !== undefined && tenant === undefined) map.set('tenant_id', project);
    attrs = map;
    cache.set(resource, attrs);
  }
  return attrs;
}

/** Whether the resource is owned by a project (declares tenant_id or project_id). */
export function hasProject(resource: ResourceDecl): boolean {
  return attributesOf(resource).has('project_id');
}

import type { Attributes, ExtensionDecl, ResourceDecl } from './types.js';

export interface ComposedApi {
  /** Every collection with all attributes its loaded extensions add, keyed by collection name. */
  readonly resources: ReadonlyMap<string, ResourceDecl>;
  /** What /v2.0/extensions advertises, in load order. */
  readonly extensions: readonly ExtensionDecl[];
  /** The composed collection; throws for one not loaded (a plugin built without its extension is a wiring error). */
  resource(collection: string): ResourceDecl;
}

/**
 * Builds the full shape of each resource once, at startup, from the core
 * declarations and the loaded extensions. Nothing else adds attributes later.
 */
export function composeApi(core: readonly ResourceDecl[], extensions: readonly ExtensionDecl[]): ComposedApi {
  const attributes = new Map<string, Record<string, Attributes[string]>>();
  const decls = new Map<string, ResourceDecl>();
  const add = (resource: ResourceDecl) => {
    if (decls.has(resource.collection)) throw new Error(`collection ${resource.collection} declared twice`);
    decls.set(resource.collection, resource);
    attributes.set(resource.collection, { ...resource.attributes });
  };
  core.forEach(add);
  for (const extension of extensions) extension.resources?.forEach(add);

  const merge = (collection: string, extra: Attributes, alias: string) => {
    const target = attributes.get(collection);
    if (!target) throw new Error(`extension ${alias} extends unknown collection ${collection}`);
    for (const [name, decl] of Object.entries(extra)) {
      if (name in target) throw new Error(`extension ${alias} redeclares ${collection}.${name}`);
      target[name] = decl;
    }
  };
  for (const extension of extensions) {
    for (const [collection, extra] of Object.entries(extension.extends ?? {})) merge(collection, extra, extension.alias);
    if (extension.extendsStandard) {
      for (const decl of decls.values()) {
        if (decl.standardAttributes) merge(decl.collection, extension.extendsStandard, extension.alias);
      }
    }
    if (extension.extendsOwned) {
      for (const decl of decls.values()) {
        if ('tenant_id' in decl.attributes) merge(decl.collection, extension.extendsOwned, extension.alias);
      }
    }
  }

  const resources = new Map<string, ResourceDecl>();
  for (const [collection, decl] of decls) resources.set(collection, { ...decl, attributes: attributes.get(collection) ?? {} });
  return {
    resources,
    extensions,
    resource(collection) {
      const resource = resources.get(collection);
      if (!resource) throw new Error(`collection ${collection} is not loaded`);
      return resource;
    },
  };
}

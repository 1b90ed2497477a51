/**
 * @peculiar/x509 registers its algorithms with tsyringe, which refuses to load unless the
 * Reflect metadata API is present (it asks for the reflect-metadata package, not a dependency
 * here). tsyringe uses three functions of that API; this module provides them, keyed by target
 * object and property, and is imported before @peculiar/x509 anywhere it is used.
 */
type Metadata = Map<unknown, unknown>;
const byTarget = new WeakMap<object, Map<PropertyKey | undefined, Metadata>>();

function metadataOf(target: object, property: PropertyKey | undefined, create: boolean): Metadata | undefined {
  let byProperty = byTarget.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byTarget.set(target, (byProperty = new Map()));
  }
  let metadata = byProperty.get(property);
  if (!metadata && create) byProperty.set(property, (metadata = new Map()));
  return metadata;
}

interface ReflectMetadataApi {
  defineMetadata(key: unknown, value: unknown, target: object, property?: PropertyKey): void;
  getOwnMetadata(key: unknown, target: object, property?: PropertyKey): unknown;
  getMetadata(key: unknown, target: object, property?: PropertyKey): unknown;
}

const api = Reflect as typeof Reflect & Partial<ReflectMetadataApi>;
if (typeof api.getMetadata !== "function") {
  api.defineMetadata = (key, value, target, property) => {
    (metadataOf(target, property, true) as Metadata).set(key, value);
  };
  api.getOwnMetadata = (key, target, property) => metadataOf(target, property, false)?.get(key);
  api.getMetadata = (key, target, property) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
      const metadata = metadataOf(t, property, false);
      if (metadata?.has(key)) return metadata.get(key);
    }
    return undefined;
  };
}

export {};

/**
 * The few `Reflect` metadata functions that tsyringe (a dependency of
 * @peculiar/x509) checks for at load time and uses to record constructor
 * parameter types. The usual polyfill (`reflect-metadata`) is not a
 * dependency of Parley, so this module installs a minimal, spec-shaped
 * version — only when no polyfill is present already. Import it before
 * @peculiar/x509 is loaded (see `x509.ts`).
 */

type MetadataKey = unknown;
type PropertyKey = string | symbol | undefined;

/** target → property (undefined for the target itself) → metadata key → value. */
const store = new WeakMap<object, Map<PropertyKey, Map<MetadataKey, unknown>>>();

function table(target: object, property: PropertyKey, create: boolean): Map<MetadataKey, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let byKey = byProperty.get(property);
  if (!byKey && create) {
    byKey = new Map();
    byProperty.set(property, byKey);
  }
  return byKey;
}

function target(value: unknown): object {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    throw new TypeError('Reflect metadata target must be an object');
  }
  return value;
}

const api = {
  defineMetadata(key: MetadataKey, value: unknown, on: unknown, property?: PropertyKey): void {
    table(target(on), property, true)!.set(key, value);
  },
  hasOwnMetadata(key: MetadataKey, on: unknown, property?: PropertyKey): boolean {
    return table(target(on), property, false)?.has(key) ?? false;
  },
  getOwnMetadata(key: MetadataKey, on: unknown, property?: PropertyKey): unknown {
    return table(target(on), property, false)?.get(key);
  },
  hasMetadata(key: MetadataKey, on: unknown, property?: PropertyKey): boolean {
    for (let o: object | null = target(on); o !== null; o = Object.getPrototypeOf(o) as object | null) {
      if (api.hasOwnMetadata(key, o, property)) return true;
    }
    return false;
  },
  getMetadata(key: MetadataKey, on: unknown, property?: PropertyKey): unknown {
    for (let o: object | null = target(on); o !== null; o = Object.getPrototypeOf(o) as object | null) {
      const own = table(o, property, false);
      if (own?.has(key)) return own.get(key);
    }
    return undefined;
  },
  deleteMetadata(key: MetadataKey, on: unknown, property?: PropertyKey): boolean {
    return table(target(on), property, false)?.delete(key) ?? false;
  },
  metadata(key: MetadataKey, value: unknown) {
    return (on: unknown, property?: PropertyKey): void => api.defineMetadata(key, value, on, property);
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

export {};

/**
 * A registry keyed by a wire name (`grant_type`, `token_endpoint_auth_method`), after
 * node-oidc-provider: built once from its complete list of entries, then frozen. It implements
 * `ReadonlyMap` and has no `set` or `delete`, so nothing is added after an endpoint captured it,
 * and discovery, which advertises its keys, always names exactly what is handled.
 */
class FrozenRegistry<V> implements ReadonlyMap<string, V> {
  readonly #entries: Map<string, V>;

  constructor(entries: Map<string, V>) {
    this.#entries = entries;
    Object.freeze(this);
  }

  get size(): number {
    return this.#entries.size;
  }
  get(name: string): V | undefined {
    return this.#entries.get(name);
  }
  has(name: string): boolean {
    return this.#entries.has(name);
  }
  keys(): MapIterator<string> {
    return this.#entries.keys();
  }
  values(): MapIterator<V> {
    return this.#entries.values();
  }
  entries(): MapIterator<[string, V]> {
    return this.#entries.entries();
  }
  forEach(callback: (value: V, name: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [name, value] of this.#entries) {
      callback(value, name, this);
    }
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.#entries.entries();
  }
}

/**
 * Keys each entry by its wire name, in the given order; two entries claiming one name is a wiring
 * error (`what` names the registry in the message).
 */
export function createRegistry<V>(
  entries: readonly V[],
  nameOf: (entry: V) => string,
  what: string,
): ReadonlyMap<string, V> {
  const byName = new Map<string, V>();
  for (const entry of entries) {
    const name = nameOf(entry);
    if (byName.has(name)) {
      throw new Error(`Two ${what} registered for ${name}`);
    }
    byName.set(name, entry);
  }
  return new FrozenRegistry(byName);
}

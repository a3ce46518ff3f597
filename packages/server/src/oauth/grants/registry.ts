/**
 * The grant registry, built once and complete, then frozen (after node-oidc-provider's registry
 * keyed by `grant_type`): the token endpoint dispatches on it and discovery advertises its keys,
 * so what is advertised and what is handled cannot drift. It has no `set`: nothing is added after
 * the token endpoint captured it.
 */
import type { Grant, GrantRegistry } from './index.js';

class FrozenGrantRegistry implements GrantRegistry {
  readonly #grants: Map<string, Grant>;

  constructor(grants: Map<string, Grant>) {
    this.#grants = grants;
    Object.freeze(this);
  }

  get size(): number {
    return this.#grants.size;
  }
  get(grantType: string): Grant | undefined {
    return this.#grants.get(grantType);
  }
  has(grantType: string): boolean {
    return this.#grants.has(grantType);
  }
  keys(): MapIterator<string> {
    return this.#grants.keys();
  }
  values(): MapIterator<Grant> {
    return this.#grants.values();
  }
  entries(): MapIterator<[string, Grant]> {
    return this.#grants.entries();
  }
  forEach(callback: (grant: Grant, grantType: string, map: ReadonlyMap<string, Grant>) => void): void {
    for (const [grantType, grant] of this.#grants) {
      callback(grant, grantType, this);
    }
  }
  [Symbol.iterator](): MapIterator<[string, Grant]> {
    return this.#grants.entries();
  }
}

/** Keys each grant by its `grant_type`; two grants claiming one wire name is a wiring error. */
export function createGrantRegistry(grants: readonly Grant[]): GrantRegistry {
  const byType = new Map<string, Grant>();
  for (const grant of grants) {
    if (byType.has(grant.grantType)) {
      throw new Error(`Two grants registered for grant_type ${grant.grantType}`);
    }
    byType.set(grant.grantType, grant);
  }
  return new FrozenGrantRegistry(byType);
}

/**
 * The token registries the OAuth endpoints dispatch on: grants by `grant_type` (`/token`),
 * introspectors (`/introspect`) and revokers (`/revoke`). Each part of Tessera contributes its
 * entries; they are assembled once, complete, and frozen before any endpoint captures them, so
 * nothing can add, remove or reorder an entry afterwards.
 */
import type { Grant, GrantRegistry } from '../oauth/grants/index.js';
import { createGrantRegistry } from '../oauth/grants/registry.js';
import type { Introspector } from '../oauth/introspection.js';
import type { Revoker } from '../oauth/revocation.js';

/** What one part adds; introspectors and revokers are asked in contribution order. */
export interface TokenContributions {
  grants?: readonly Grant[];
  introspectors?: readonly Introspector[];
  revokers?: readonly Revoker[];
}

export interface TokenRegistries {
  grants: GrantRegistry;
  introspectors: readonly Introspector[];
  revokers: readonly Revoker[];
}

export function buildTokenRegistries(parts: readonly TokenContributions[]): Readonly<TokenRegistries> {
  return Object.freeze({
    grants: createGrantRegistry(parts.flatMap((part) => part.grants ?? [])),
    introspectors: Object.freeze(parts.flatMap((part) => part.introspectors ?? [])),
    revokers: Object.freeze(parts.flatMap((part) => part.revokers ?? [])),
  });
}

/**
 * The grant registry, built once and complete, then frozen: the token endpoint dispatches on it
 * and discovery advertises its keys (`grant_types_supported`), so the two cannot drift.
 */
import { createRegistry } from '../registry.js';
import type { Grant, GrantRegistry } from './index.js';

/** Keys each grant by its `grant_type`; two grants claiming one wire name is a wiring error. */
export function createGrantRegistry(grants: readonly Grant[]): GrantRegistry {
  return createRegistry(grants, (grant) => grant.grantType, 'grants');
}

/**
 * Usage statistics for operators: `GET /admin/stats` (the console overview's charts), read from the
 * usage counters every node adds to the store (audit/stats-counters.ts).
 */
import { registerStatsRoutes, type StatsRouteDeps } from '../admin/stats.js';
import type { HttpFeature } from '../feature.js';

export function createStatsFeature(deps: StatsRouteDeps): HttpFeature {
  return {
    name: 'stats',
    registerAdmin(admin) {
      registerStatsRoutes(admin, deps);
    },
  };
}

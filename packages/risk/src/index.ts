/**
 * `@tessera/risk`: risk-based sign-in and token-use scoring, framework-free, no I/O, no dependencies.
 *
 * Subpaths: `.` (the engine, the Freeman baseline, the event schema, the geo port) and `./eval`
 * (the adapter for independent evaluation harnesses, see eval.ts).
 *
 * @example
 * import { createRiskEngine } from '@tessera/risk';
 * const engine = createRiskEngine();
 * const { score, factors } = engine.assess({ 'User ID': 'u1', 'IP Address': '198.51.100.7', 'Event Type': 'login' });
 */
export {
  createRiskEngine,
  type LearnOptions,
  type RiskAssessment,
  type RiskEngine,
  type RiskEngineOptions,
  type RiskFactor,
  VELOCITY_RETENTION,
} from './engine.js';
export { LABEL_COLUMNS, type RiskEvent } from './event.js';
export { extractFeatures, type Features } from './features.js';
export { createFreemanModel, type FreemanModel } from './freeman.js';
export { type GeoLookup, type GeoRecord, noGeo } from './geo.js';
export {
  createKeyUsageProfiler,
  type KeyAnomaly,
  type KeyAnomalyKind,
  type KeyProfileSnapshot,
  type KeyUsageProfiler,
  type KeyUsageProfilerOptions,
  type KeyUse,
} from './key-usage.js';
export type { Profile } from './profile.js';
export { decodeProfile, encodeProfile, PROFILE_FORMAT, RiskProfileFormatError } from './profile-codec.js';
export { type RiskProfileSummary, summarizeProfile } from './profile-summary.js';
export {
  createSessionUsageScorer,
  defaultSessionUsagePolicy,
  RATE_TOLERANCE,
  type SessionUsageAction,
  type SessionUsageAssessment,
  type SessionUsageFactor,
  type SessionUsageScorer,
  type SessionUsageScorerOptions,
  type SessionUsageSnapshot,
  type SessionUse,
  usageNetwork,
} from './session-usage.js';
export {
  assessTokenUse,
  createTokenContext,
  defaultTokenUsePolicy,
  TOKEN_CONTEXT_CLAIM,
  type TokenUseAction,
  type TokenUseAssessment,
  type TokenUseContext,
  type TokenUseFactor,
} from './token-context.js';
export { distanceKm, impossibleTravel, MAX_SPEED_KMH, MIN_DISTANCE_KM, type Place } from './travel.js';

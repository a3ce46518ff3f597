/**
 * `compose/` is the composition root's own folder (DESIGN §2): only `main.ts` imports it. Each
 * module builds the services of one part of Tessera from the {@link Core} and returns them; the
 * HTTP features receive them built and only register routes. This file: what every part is built
 * from.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { StatsCounters } from '../audit/stats-counters.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { BusStatus, EventBus } from '../events/bus.js';
import type { Metrics } from '../http/plugins/metrics.js';
import type { Keyring } from '../keys/keyring.js';
import type { Logger } from '../log.js';
import type { ChosenSubjectOf, SubjectOf } from '../oauth/oidc/pairwise.js';
import type { Store } from '../store/ports.js';
import type { PasswordHasher } from '../users/password-hasher.js';

export interface Core {
  config: Readonly<Config>;
  issuer: string;
  /** Seals signing keys at rest and keys the sealed sign-in state (never logged). */
  masterKey: Buffer;
  /** The `sub` a client sees for a person (OIDC Core §8), keyed from the master key. */
  subjectOf: SubjectOf;
  /** The pairwise `sub` a person may choose for a client registered `public` (same key). */
  chosenSubjectOf: ChosenSubjectOf;
  /** Checks human passwords (argon2id unless a test injects one); bounded per process. */
  passwordHasher?: PasswordHasher;
  store: Store;
  keyring: Keyring;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  metrics: Metrics;
  /** Usage counters for the console's charts (`GET /admin/stats`), counted beside the metrics. */
  stats: StatsCounters;
  /** The cross-node bus connection (undefined without a bridge). */
  busStatus: () => BusStatus | undefined;
}

/**
 * Audit of rejected API-key verifications, aggregated so that an attack cannot turn rejections into
 * database writes: per interval, at most one event per (caller, reason, display start) carrying its
 * count, at most `maxEvents` such events, and the rest folded into one summary event per reason.
 * The audit log itself also writes in batches. Never the key: only its display start.
 */
import type { AuditLog } from '../../audit/audit-log.js';
import type { ApiKeyRejectionCode } from './api-key-verification.js';

export interface RejectionAuditor {
  note(rejection: {
    actor: string;
    reason: ApiKeyRejectionCode;
    start: string | null;
    keyId?: string | undefined;
  }): void;
  /** Records the aggregated events of the interval that ended. */
  flush(): void;
}

interface Tally {
  actor: string;
  reason: ApiKeyRejectionCode;
  start: string | null;
  keyId: string | undefined;
  count: number;
}

/** Bounds the memory an attack can take between two flushes. */
const MAX_TRACKED = 10_000;

export function createRejectionAuditor(deps: {
  audit: Pick<AuditLog, 'record'>;
  maxEvents?: number;
}): RejectionAuditor {
  const maxEvents = deps.maxEvents ?? 20;
  let tallies = new Map<string, Tally>();
  let overflow = new Map<string, { actor: string; reason: ApiKeyRejectionCode; count: number }>();

  return {
    note(rejection) {
      const id = `${rejection.actor}\u0000${rejection.reason}\u0000${rejection.start ?? ''}`;
      const tally = tallies.get(id);
      if (tally !== undefined) {
        tally.count += 1;
      } else if (tallies.size < MAX_TRACKED) {
        tallies.set(id, { ...rejection, keyId: rejection.keyId, count: 1 });
      } else {
        const key = `${rejection.actor}\u0000${rejection.reason}`;
        const folded = overflow.get(key) ?? { actor: rejection.actor, reason: rejection.reason, count: 0 };
        folded.count += 1;
        overflow.set(key, folded);
      }
    },
    flush() {
      let recorded = 0;
      for (const tally of tallies.values()) {
        if (recorded < maxEvents) {
          recorded += 1;
          deps.audit.record({
            type: 'api_key.verification_rejected',
            actor: tally.actor,
            subject: tally.keyId ?? tally.start,
            data: { reason: tally.reason, start: tally.start, count: tally.count },
          });
          continue;
        }
        const key = `${tally.actor}\u0000${tally.reason}`;
        const folded = overflow.get(key) ?? { actor: tally.actor, reason: tally.reason, count: 0 };
        folded.count += tally.count;
        overflow.set(key, folded);
      }
      for (const folded of overflow.values()) {
        deps.audit.record({
          type: 'api_key.verification_rejected',
          actor: folded.actor,
          subject: null,
          data: { reason: folded.reason, start: null, count: folded.count, aggregated: true },
        });
      }
      tallies = new Map();
      overflow = new Map();
    },
  };
}

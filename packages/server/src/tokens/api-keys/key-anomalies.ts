/**
 * API-key anomalies (docs/api-keys.md, "Anomalies"): each valid verification is judged against the
 * key's own usage profile (`@tessera/risk` key usage: new ASN, new country, new endpoint, a rate
 * beyond the key's own) and the key's `anomaly_policy` says what follows:
 *
 * - `off`: nothing is judged or learned;
 * - `flag`: audit `api_key.anomaly`, the verification stands;
 * - `alert`: the same, and the anomaly is recorded on the key for its owner (admin API: the key's
 *   `anomalies`, `GET /admin/api-keys?anomalous=true`);
 * - `deny`: audit, and this verification answers `valid: false` (`code: anomaly`); the key stays
 *   enabled and a refused use is not learned;
 * - `disable`: audit, recorded, and the key is disabled at once (`api_key.auto_disabled`).
 *
 * The hot path stays in memory: a geo lookup (the server's `.mmdb` files) and a few hash lookups.
 * Profiles, recorded anomalies and the audit are written in batches with the key usage
 * (`apiKeys.usageFlushInterval`); audit events are aggregated per interval, at most one per key,
 * action, kind and value (at most `maxEvents`, the rest folded into one), and the same anomaly is
 * recorded on a key at most once in ten minutes, so that anomalous traffic cannot turn into a
 * write per request.
 */
import {
  createKeyUsageProfiler,
  type GeoLookup,
  type KeyAnomaly,
  type KeyUsageProfilerOptions,
  type KeyUse,
} from '@tessera/risk';
import type { AuditLog } from '../../audit/audit-log.js';
import type { ApiKeyAnomalyRecord, ApiKeyRecord } from '../../store/ports.js';

/** What the resource server knows about the request a key came with. */
export interface KeyUseContext {
  /** The caller's address (validated by the HTTP layer). */
  clientIp?: string | undefined;
  /** The endpoint, a route pattern such as `GET /orders/:id`. */
  endpoint?: string | undefined;
}

/** What the policy made of a verification. */
export type AnomalyAction = 'allow' | 'deny' | 'disable';

export interface KeyJudgement {
  action: AnomalyAction;
  anomalies: KeyAnomaly[];
}

export interface KeyAnomalies {
  /**
   * Judges a use of a key that is otherwise valid: the anomalies (none for `off` or while the
   * key's profile learns) and what the policy makes of them. Learns the use when it is allowed;
   * audits and records the anomalies.
   */
  judge(record: ApiKeyRecord, context: KeyUseContext, actor: string): KeyJudgement;
  /** The key's usage profile (JSON) to write with its usage, if this node has one. */
  profileOf(keyId: string): string | undefined;
  /** Records the aggregated audit of the interval that ended. */
  flush(): void;
}

export interface KeyAnomaliesDeps {
  geo: GeoLookup;
  /** Milliseconds since the epoch. */
  nowMs: () => number;
  audit: Pick<AuditLog, 'record'>;
  /** Takes anomalies to record on the key (written with the next usage batch). */
  record: (keyId: string, anomalies: ApiKeyAnomalyRecord[]) => void;
  profiler?: KeyUsageProfilerOptions;
  /** Audit events per interval before the rest is folded into one summary. Default 100. */
  maxEvents?: number;
}

interface Tally {
  record: ApiKeyRecord;
  actor: string;
  action: 'flagged' | 'alerted' | 'denied' | 'disabled';
  anomaly: KeyAnomaly;
  count: number;
}

/** Bounds the memory anomalous traffic can take between two flushes. */
const MAX_TRACKED = 10_000;
/** One anomaly of a kind and value is recorded on a key at most once in this long (ms). */
const RECORD_AGAIN_AFTER_MS = 10 * 60_000;
/** Recently recorded (key, kind, value) remembered, least recently recorded forgotten first. */
const MAX_RECENT_RECORDS = 10_000;

const ACTIONS = { flag: 'flagged', alert: 'alerted', deny: 'denied', disable: 'disabled' } as const;

export function createKeyAnomalies(deps: KeyAnomaliesDeps): KeyAnomalies {
  const profiler = createKeyUsageProfiler(deps.profiler);
  const maxEvents = deps.maxEvents ?? 100;
  let tallies = new Map<string, Tally>();
  let folded = 0;
  const recorded = new Map<string, number>();

  /** False when the same anomaly was recorded on the key lately (a burst is one alert, not one per use). */
  function fresh(keyId: string, anomaly: KeyAnomaly, at: number): boolean {
    const id = `${keyId}\u0000${anomaly.kind}\u0000${anomaly.kind === 'rate' ? '' : anomaly.value}`;
    const last = recorded.get(id);
    if (last !== undefined && at - last < RECORD_AGAIN_AFTER_MS) {
      return false;
    }
    recorded.delete(id);
    recorded.set(id, at);
    if (recorded.size > MAX_RECENT_RECORDS) {
      recorded.delete(recorded.keys().next().value as string);
    }
    return true;
  }

  function useOf(record: ApiKeyRecord, context: KeyUseContext): KeyUse {
    if (!profiler.has(record.id) && record.usageProfile !== null) {
      try {
        profiler.restore(record.id, JSON.parse(record.usageProfile));
      } catch {
        // A damaged snapshot: the key learns again.
      }
    }
    const geo = context.clientIp === undefined ? {} : deps.geo.lookup(context.clientIp);
    return {
      key: record.id,
      at: deps.nowMs(),
      asn: geo.asn,
      country: geo.country,
      endpoint: context.endpoint,
    };
  }

  function tally(record: ApiKeyRecord, actor: string, action: Tally['action'], anomaly: KeyAnomaly): void {
    // A rate's value changes with every use: one tally per kind.
    const id = `${record.id}\u0000${action}\u0000${anomaly.kind}\u0000${anomaly.kind === 'rate' ? '' : anomaly.value}`;
    const current = tallies.get(id);
    if (current !== undefined) {
      current.count += 1;
    } else if (tallies.size < MAX_TRACKED) {
      tallies.set(id, { record, actor, action, anomaly, count: 1 });
    } else {
      folded += 1;
    }
  }

  return {
    judge(record, context, actor) {
      const policy = record.anomalyPolicy;
      if (policy === 'off') {
        return { action: 'allow', anomalies: [] };
      }
      const use = useOf(record, context);
      const anomalies = profiler.assess(use);
      const action: AnomalyAction =
        anomalies.length === 0 || policy === 'flag' || policy === 'alert' ? 'allow' : policy;
      if (action === 'allow') {
        profiler.learn(use);
      }
      if (anomalies.length > 0) {
        for (const anomaly of anomalies) {
          tally(record, actor, ACTIONS[policy], anomaly);
        }
        const toRecord =
          policy === 'alert' || policy === 'disable'
            ? anomalies.filter((anomaly) => fresh(record.id, anomaly, use.at))
            : [];
        if (toRecord.length > 0) {
          const at = Math.floor(use.at / 1000);
          deps.record(
            record.id,
            toRecord.map((anomaly) => ({
              at,
              kind: anomaly.kind,
              value: anomaly.value,
              ...(anomaly.baseline === undefined ? {} : { baseline: anomaly.baseline }),
              action: policy === 'alert' ? 'alerted' : 'disabled',
            })),
          );
        }
      }
      return { action, anomalies };
    },

    profileOf(keyId) {
      const snapshot = profiler.snapshot(keyId);
      return snapshot === undefined ? undefined : JSON.stringify(snapshot);
    },

    flush() {
      let recorded = 0;
      for (const t of tallies.values()) {
        if (recorded >= maxEvents) {
          folded += t.count;
          continue;
        }
        recorded += 1;
        deps.audit.record({
          type: 'api_key.anomaly',
          actor: t.actor,
          subject: t.record.id,
          data: {
            start: t.record.start,
            owner: t.record.owner,
            kind: t.anomaly.kind,
            value: t.anomaly.value,
            ...(t.anomaly.baseline === undefined ? {} : { baseline: t.anomaly.baseline }),
            policy: t.record.anomalyPolicy,
            action: t.action,
            count: t.count,
          },
        });
      }
      if (folded > 0) {
        deps.audit.record({
          type: 'api_key.anomaly',
          actor: 'system',
          subject: null,
          data: { count: folded, aggregated: true },
        });
      }
      tallies = new Map();
      folded = 0;
    },
  };
}

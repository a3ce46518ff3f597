/**
 * The anomaly policy's bookkeeping (docs/api-keys.md, "Anomalies"): anomalous traffic cannot turn
 * into a write per request — one recorded alert per anomaly in ten minutes, audit events aggregated
 * per interval and bounded — and refused uses are not learned.
 */
import { noGeo } from '@tessera/risk';
import { describe, expect, it } from 'vitest';
import type { ApiKeyAnomalyRecord, ApiKeyRecord, AuditEvent } from '../../store/ports.js';
import { createKeyAnomalies } from './key-anomalies.js';

const T0 = 1_800_000_000_000;

function keyRecord(id: string, anomalyPolicy: ApiKeyRecord['anomalyPolicy']): ApiKeyRecord {
  return {
    id,
    hash: 'h',
    start: 'abcd',
    name: 'k',
    owner: 'cli_owner',
    scope: [],
    audiences: [],
    meta: {},
    rateLimit: null,
    createdAt: 0,
    updatedAt: 0,
    expiresAt: null,
    disabled: false,
    revokedAt: null,
    replacedBy: null,
    lastUsedAt: null,
    usageCount: 0,
    dpopJkt: null,
    anomalyPolicy,
    usageProfile: null,
    anomalies: [],
    lastAnomalyAt: null,
    anomaliesAcknowledgedAt: null,
  };
}

function setup(maxEvents?: number) {
  let now = T0;
  const events: Omit<AuditEvent, 'id' | 'at' | 'requestId'>[] = [];
  const recorded: ApiKeyAnomalyRecord[] = [];
  const anomalies = createKeyAnomalies({
    geo: noGeo,
    nowMs: () => now,
    audit: { record: (event) => events.push(event) },
    record: (_id, added) => recorded.push(...added),
    profiler: { learningUses: 10, learningMs: 60_000 },
    ...(maxEvents === undefined ? {} : { maxEvents }),
  });
  const advance = (ms: number) => {
    now += ms;
  };
  return { anomalies, events, recorded, advance };
}

describe('key anomaly bookkeeping', () => {
  it('alert: a burst of anomalous uses is one recorded alert in ten minutes, and one audit event per interval with its count', () => {
    const { anomalies, events, recorded, advance } = setup();
    const key = keyRecord('key_a', 'alert');
    for (let i = 0; i < 20; i += 1) {
      anomalies.judge(key, { endpoint: 'GET /a' }, 'cli_rs');
      advance(60_000);
    }
    // 100 uses in 10 seconds: a rate far beyond the key's own, flagged until its minute is over.
    let flagged = 0;
    for (let i = 0; i < 100; i += 1) {
      const judged = anomalies.judge(key, { endpoint: 'GET /a' }, 'cli_rs');
      expect(judged.action).toBe('allow');
      flagged += judged.anomalies.length;
      advance(100);
    }
    expect(flagged).toBeGreaterThan(50);
    expect(recorded.map((r) => [r.kind, r.action])).toEqual([['rate', 'alerted']]);
    anomalies.flush();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'api_key.anomaly',
      subject: 'key_a',
      actor: 'cli_rs',
      data: { kind: 'rate', action: 'alerted', count: flagged },
    });
    // Ten minutes later, a burst ten times beyond the last one is a new alert.
    advance(10 * 60_000);
    for (let i = 0; i < 1500; i += 1) {
      anomalies.judge(key, { endpoint: 'GET /a' }, 'cli_rs');
      advance(1);
    }
    expect(recorded).toHaveLength(2);
  });

  it('deny: a refused value is not learned, is audited with a count, and never recorded on the key', () => {
    const { anomalies, events, recorded, advance } = setup();
    const key = keyRecord('key_d', 'deny');
    for (let i = 0; i < 20; i += 1) {
      anomalies.judge(key, { endpoint: 'GET /a' }, 'cli_rs');
      advance(60_000);
    }
    for (let i = 0; i < 30; i += 1) {
      expect(anomalies.judge(key, { endpoint: 'DELETE /a' }, 'cli_rs')).toMatchObject({
        action: 'deny',
        anomalies: [{ kind: 'new_endpoint' }],
      });
      advance(1000);
    }
    expect(recorded).toEqual([]);
    anomalies.flush();
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ action: 'denied', count: 30, owner: 'cli_owner' });
  });

  it('audit events per interval are bounded: the rest is folded into one aggregated event', () => {
    const { anomalies, events, advance } = setup(3);
    const keys = Array.from({ length: 10 }, (_, i) => keyRecord(`key_${i}`, 'flag'));
    for (let i = 0; i < 20; i += 1) {
      for (const key of keys) {
        anomalies.judge(key, { endpoint: 'GET /a' }, 'cli_rs');
      }
      advance(60_000);
    }
    for (const key of keys) {
      anomalies.judge(key, { endpoint: 'GET /b' }, 'cli_rs');
    }
    anomalies.flush();
    expect(events).toHaveLength(4);
    expect(events[3]?.data).toEqual({ count: 7, aggregated: true });
    anomalies.flush();
    expect(events).toHaveLength(4);
  });
});

/**
 * `tessera risk retrain` (docs/risk.md, "Retraining from the audit log"): the `risk.learned` events
 * still in the audit log (`audit.retention`) are replayed in time order into a fresh engine, as each
 * node learned them online (observed, then learned), and the histories and global sums it ends with
 * replace those in the store, in one transaction. `dryRun` replays and counts, and writes nothing.
 *
 * Offline: the nodes keep what they hold in memory (global sums until their next reload of a changed
 * row, histories until the person's next read), so run it with the servers stopped or restart them.
 */
import { createRiskEngine, encodeProfile, type RiskEvent } from '@tessera/risk';
import type { Clock } from '../clock.js';
import type { AuditEvent, Store } from '../store/ports.js';
import { RISK_LEARNED_EVENT, type RiskLearnedData } from './login-risk.js';

/** Audit events read per page. */
const PAGE = 500;

export interface RiskRetrainDeps {
  store: Pick<Store, 'listAudit' | 'replaceRiskState'>;
  clock: Pick<Clock, 'now'>;
  /** Replay and count, write nothing. */
  dryRun?: boolean;
}

export interface RiskRetrainResult {
  /** `risk.learned` events replayed. */
  events: number;
  /** Events that could not be replayed (no person, or data of another shape). */
  skipped: number;
  /** People with a history after the replay. */
  people: number;
  /** Histories written (people deleted since are skipped); 0 on a dry run. */
  written: number;
  /** Global sums (keys) written, or that would be. */
  sums: number;
  /** The oldest and newest event replayed (Unix seconds), when there was one. */
  from?: number;
  to?: number;
}

/** The engine's input for one audited sign-in, or undefined when the event is not one. */
export function learnedEvent(event: AuditEvent): RiskEvent | undefined {
  const data = event.data as Partial<RiskLearnedData>;
  if (event.subject === null || event.subject === '' || typeof data !== 'object' || data === null) {
    return undefined;
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const asn = typeof data.asn === 'number' ? data.asn : text(data.asn);
  const coordinate = (value: unknown) => (typeof value === 'number' ? value : text(value));
  return {
    'User ID': event.subject,
    'IP Address': text(data.ip),
    'User Agent String': text(data.userAgent),
    ASN: asn,
    Country: text(data.country),
    Region: text(data.region),
    City: text(data.city),
    Latitude: coordinate(data.latitude),
    Longitude: coordinate(data.longitude),
    'Device ID': text(data.device),
    'Event Type': 'login',
    'Epoch ms': event.at * 1000,
    'Login Successful': true,
  };
}

export async function retrainRisk(deps: RiskRetrainDeps): Promise<RiskRetrainResult> {
  // Newest first from the store; replayed oldest first (by time, then by the order appended).
  const events: Array<AuditEvent & { id: number }> = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listAudit({
      type: RISK_LEARNED_EVENT,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    events.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  events.sort((a, b) => a.at - b.at || a.id - b.id);

  const engine = createRiskEngine({ maxProfiles: Number.MAX_SAFE_INTEGER });
  const people = new Set<string>();
  let skipped = 0;
  for (const audited of events) {
    const event = learnedEvent(audited);
    if (event === undefined) {
      skipped += 1;
      continue;
    }
    engine.observe(event);
    engine.learn(event);
    people.add(String(event['User ID']));
  }
  const profiles: Array<{ userId: string; data: string }> = [];
  for (const userId of people) {
    const profile = engine.exportProfile(userId);
    if (profile !== undefined) {
      profiles.push({ userId, data: encodeProfile(profile) });
    }
  }
  const sums = engine.takeGlobalDelta();
  const written =
    deps.dryRun === true ? 0 : await deps.store.replaceRiskState(profiles, sums, deps.clock.now());
  const first = events[0];
  const last = events.at(-1);
  return {
    events: events.length - skipped,
    skipped,
    people: profiles.length,
    written,
    sums: Object.keys(sums).length,
    ...(first === undefined || last === undefined ? {} : { from: first.at, to: last.at }),
  };
}

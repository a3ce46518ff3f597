/**
 * The backlog a (re)connecting revocation-stream consumer needs, oldest first: without
 * `Last-Event-ID` every revocation still in force, with it every later one (plus an overlap, see
 * below), in pages, expired ones left out.
 */
import { OAuthError, type RevocationEvent } from '@tessera/protocol';
import type { Clock } from '../../clock.js';
import type { RevocationStore } from '../../store/ports.js';

/**
 * Event ids come from one sequence, but concurrent writers (two nodes, or two transactions on one)
 * can commit them out of order, so a consumer may see id 11 before id 10. On resume we therefore
 * replay this many ids before `Last-Event-ID`; duplicates are harmless (the denylist is idempotent).
 */
export const RESUME_OVERLAP = 256;
const PAGE = 500;

export interface RevocationBacklogDeps {
  store: Pick<RevocationStore, 'listActiveRevocations' | 'listRevocationsSince'>;
  clock: Clock;
}

/** Parses `Last-Event-ID`: absent or empty → undefined; else a non-negative integer. */
export function parseLastEventId(value: string | string[] | undefined): number | undefined {
  if (Array.isArray(value)) {
    throw OAuthError.invalidRequest('Last-Event-ID must not be repeated');
  }
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw OAuthError.invalidRequest('Last-Event-ID must be an event id');
  }
  return Number(value.trim());
}

/** The backlog a (re)connecting consumer needs, oldest first. */
export async function loadBacklog(
  deps: RevocationBacklogDeps,
  lastEventId: number | undefined,
): Promise<RevocationEvent[]> {
  const now = deps.clock.now();
  if (lastEventId === undefined) {
    return deps.store.listActiveRevocations(now);
  }
  const events: RevocationEvent[] = [];
  let after = Math.max(0, lastEventId - RESUME_OVERLAP);
  for (;;) {
    const page = await deps.store.listRevocationsSince(after, PAGE);
    for (const event of page) {
      // An expired revocation names nothing that could still be valid: no need to send it.
      if (event.expiresAt > now) {
        events.push(event);
      }
    }
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) {
      return events;
    }
    after = last.id;
  }
}

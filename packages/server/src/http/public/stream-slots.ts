/**
 * Open revocation streams are capped per client and in total, so memory stays bounded. A slot is
 * taken at authorization, before the backlog is read, so concurrent connects cannot overshoot; over
 * a cap the caller gets 429 `rate_limited` with `Retry-After` (RFC 6585 §4) and reconnects later.
 */
import { OAuthError } from '@tessera/protocol';

/** Seconds a refused stream is told to wait before reconnecting. */
const CAP_RETRY_AFTER = 10;

export interface StreamSlotsDeps {
  /** Most streams open at once per client and in total (0: no limit). */
  limits?: { perClient: number; total: number } | undefined;
}

export interface StreamSlots {
  /** Takes a stream slot for `clientId`, or refuses with 429; the caller must release it once. */
  hold(clientId: string): () => void;
}

export function createStreamSlots(deps: StreamSlotsDeps): StreamSlots {
  /** Streams held per client, counted from authorization on, so concurrent connects cannot overshoot. */
  const held = new Map<string, number>();
  let heldTotal = 0;
  const perClientCap = deps.limits?.perClient ?? 0;
  const totalCap = deps.limits?.total ?? 0;

  /** Takes a stream slot for `clientId`, or refuses with 429; the caller must release it once. */
  function hold(clientId: string): () => void {
    const mine = held.get(clientId) ?? 0;
    if (totalCap > 0 && heldTotal >= totalCap) {
      throw OAuthError.rateLimited('Too many open revocation streams on this server; retry later', {
        retryAfter: CAP_RETRY_AFTER,
      });
    }
    if (perClientCap > 0 && mine >= perClientCap) {
      throw OAuthError.rateLimited(
        `This client already holds ${perClientCap} open revocation streams; close one or retry later`,
        { retryAfter: CAP_RETRY_AFTER },
      );
    }
    held.set(clientId, mine + 1);
    heldTotal += 1;
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      heldTotal -= 1;
      const left = (held.get(clientId) ?? 1) - 1;
      if (left > 0) {
        held.set(clientId, left);
      } else {
        held.delete(clientId);
      }
    };
  }

  return { hold };
}

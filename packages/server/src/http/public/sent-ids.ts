/**
 * The event ids one revocation stream has sent, for de-duplication, in bounded memory.
 *
 * Duplicates arise only around the backlog: an event that lands on the bus while the backlog is
 * read is both in the backlog and in the live queue, and a replay after a bus reconnect may deliver
 * an event again. Ids can commit out of order (two writers), so "everything at or below the highest
 * id" is not a safe rule: an older id may still be on its way and must not be skipped. Instead the
 * last `capacity` ids sent are remembered (oldest forgotten first). An id is only ever refused when
 * it really was sent; an id forgotten long ago may be sent twice, which is harmless (applying a
 * revocation is idempotent), whereas skipping one would not be.
 */
export interface SentIds {
  /** True (and remembered) the first time `id` is offered; false when it was sent already. */
  add(id: number): boolean;
  readonly size: number;
}

export function createSentIds(capacity: number): SentIds {
  const max = Math.max(1, Math.floor(capacity));
  // A Set iterates in insertion order: its first element is the oldest id remembered.
  const ids = new Set<number>();
  return {
    add(id) {
      if (ids.has(id)) {
        return false;
      }
      ids.add(id);
      if (ids.size > max) {
        const oldest = ids.values().next().value;
        if (oldest !== undefined) {
          ids.delete(oldest);
        }
      }
      return true;
    },
    get size() {
      return ids.size;
    },
  };
}

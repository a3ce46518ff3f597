import { describe, expect, it } from 'vitest';
import { createSentIds } from './sent-ids.js';

describe('sent ids (revocation stream de-duplication)', () => {
  it('issue 11 item 10 — refuses an id sent already, accepts an older id never sent (out-of-order commit)', () => {
    const sent = createSentIds(8);
    expect(sent.add(11)).toBe(true);
    expect(sent.add(11)).toBe(false);
    // Id 10 committed after 11: it was never sent, so it must not be skipped.
    expect(sent.add(10)).toBe(true);
    expect(sent.add(10)).toBe(false);
  });

  it('issue 11 item 10 — memory stays bounded however many ids a long-lived stream sends', () => {
    const sent = createSentIds(100);
    let accepted = 0;
    for (let id = 1; id <= 100_000; id++) {
      accepted += sent.add(id) ? 1 : 0;
    }
    expect(accepted).toBe(100_000);
    expect(sent.size).toBe(100);
    // The most recent ids are still refused; only long-forgotten ones could be resent (harmless).
    expect(sent.add(100_000)).toBe(false);
    expect(sent.add(99_901)).toBe(false);
  });
});

/**
 * Two nodes learning the same person's sign-ins at once (issue "Risk engine", item 4): the history
 * row is written with optimistic concurrency; the node that loses re-reads the row and re-applies
 * its sign-in to it, so neither sign-in is lost, and the global tables count each sign-in once.
 */
import { createRiskEngine, decodeProfile } from '@tessera/risk';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { createRiskState } from '../../src/users/risk-state.js';

const T0 = 1_800_000_000;
const silent = { warn() {} };

describe('risk history: a lost write race', () => {
  it('the node that wrote second re-reads, re-applies its sign-in and writes: both sign-ins are in the row', async () => {
    const store = await openStore(':memory:');
    try {
      await store.migrate();
      await store.createUser(
        {
          id: 'usr_race',
          username: 'race',
          email: null,
          emailVerified: false,
          name: null,
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
          disabled: false,
          tokensValidAfter: 0,
        },
        T0,
      );
      const engines = [createRiskEngine(), createRiskEngine()];
      const [a, b] = engines.map((engine) =>
        createRiskState({ engine, store, clock: { now: () => T0 }, log: silent, syncInterval: 0 }),
      );
      const signIn = (ip: string, at: number) => ({
        'User ID': 'usr_race',
        'IP Address': ip,
        'User Agent String': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
        'Event Type': 'login' as const,
        'Epoch ms': at,
        'Login Successful': true,
      });
      // Both read "no row yet", both learn; one insert wins, the other re-reads and updates.
      await Promise.all([
        a?.learn(signIn('203.0.113.5', T0 * 1000)),
        b?.learn(signIn('198.51.100.7', T0 * 1000 + 1)),
      ]);
      const row = await store.findRiskProfile('usr_race');
      expect(row?.version).toBe(2);
      expect(decodeProfile(row?.data ?? '').logins).toBe(2);
      // Each node's global delta counts its own sign-in once (the re-application was history only).
      expect(engines.map((engine) => engine.takeGlobalDelta()['c:signIns'])).toEqual([1, 1]);
    } finally {
      await store.close();
    }
  });
});

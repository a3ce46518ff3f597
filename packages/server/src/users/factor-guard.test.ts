import { OAuthError } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { createFactorGuard } from './factor-guard.js';

describe('factor guard', () => {
  const counts: Record<string, Record<string, number>> = {
    passkey: { usr_one: 1, usr_two: 1 },
    totp: { usr_two: 1 },
  };
  const sources = Object.keys(counts).map((kind) => ({
    kind,
    count: async (userId: string) => counts[kind]?.[userId] ?? 0,
  }));

  it('refuses removing the last factor of a person whose policy requires MFA (409)', async () => {
    const guard = createFactorGuard({ sources, requiresMfa: async () => true });
    const error = await guard
      .assertCanRemove('usr_one', { kind: 'passkey' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: 'conflict', status: 409 });
  });

  it('counts every kind of factor: a passkey may go when a TOTP stays', async () => {
    const guard = createFactorGuard({ sources, requiresMfa: async () => true });
    await expect(guard.assertCanRemove('usr_two', { kind: 'passkey' })).resolves.toBeUndefined();
  });

  it('allows removing the last factor when MFA is not required', async () => {
    const guard = createFactorGuard({ sources, requiresMfa: async () => false });
    await expect(guard.assertCanRemove('usr_one', { kind: 'passkey' })).resolves.toBeUndefined();
  });
});

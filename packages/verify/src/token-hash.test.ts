import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { hashOfKey, hashToken, hashTokenSync, keyOfHash, tokenKeySync } from './token-hash.js';

/** Tokens whose digests spell `-`, `_` and every other base64url character. */
const tokens = Array.from({ length: 64 }, (_, i) => `tsr_at_${randomBytes(24 + i).toString('base64url')}`);

describe('a token’s SHA-256 in two spellings (token-hash.ts)', () => {
  it('the cache key is the 32 digest bytes; its hash is their base64url, as Tessera stores it', () => {
    for (const token of tokens) {
      const digest = createHash('sha256').update(token, 'utf8').digest();
      const key = tokenKeySync?.(token) ?? '';
      expect(key).toHaveLength(32);
      expect(Buffer.from(key, 'latin1').equals(digest)).toBe(true);
      expect(hashOfKey(key)).toBe(digest.toString('base64url'));
      expect(hashOfKey(key)).toBe(hashTokenSync?.(token));
      expect(keyOfHash(digest.toString('base64url'))).toBe(key);
    }
  });

  it('a token with non-ASCII characters is hashed as UTF-8 in both spellings', async () => {
    const token = 'tsr_at_\u0141\u00e9\u{1f36a}';
    const key = tokenKeySync?.(token) ?? '';
    expect(hashOfKey(key)).toBe(createHash('sha256').update(token, 'utf8').digest('base64url'));
    expect(await hashToken(token)).toBe(hashOfKey(key));
  });

  it('where the runtime has no synchronous hash (an edge runtime), hashToken falls back to WebCrypto and spells the same digest', async () => {
    const proc = process as { getBuiltinModule?: unknown };
    const getBuiltinModule = proc.getBuiltinModule;
    vi.resetModules();
    proc.getBuiltinModule = undefined;
    try {
      const edge = await import('./token-hash.js');
      expect(edge.hashTokenSync).toBeUndefined();
      expect(edge.tokenKeySync).toBeUndefined();
      for (const token of [...tokens, 'tsr_at_\u0141\u00e9\u{1f36a}']) {
        expect(await edge.hashToken(token)).toBe(
          createHash('sha256').update(token, 'utf8').digest('base64url'),
        );
      }
    } finally {
      proc.getBuiltinModule = getBuiltinModule;
      vi.resetModules();
    }
  });
});

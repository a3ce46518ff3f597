import { parseSecret, SECRET_KINDS, type SecretKind } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { hashSecret, mintSecret, newId, parseMintedSecret } from './ids.js';

describe('ids', () => {
  it('DESIGN §3 — hashSecret is SHA-256, base64url without padding (FIPS 180-4 test vector "abc")', () => {
    expect(hashSecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    // Non-ASCII input is hashed as UTF-8, as the stored digests were.
    expect(hashSecret('é')).toBe(
      Buffer.from('SplVfkAzw1Od4utlRyAXytX5VX96BiWgnxw/biumnEw=', 'base64').toString('base64url'),
    );
  });

  it('newId is the prefix and 16 random bytes in base64url; mintSecret draws fresh ones', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('req')));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^req_[A-Za-z0-9_-]{22}$/);
    }
    expect(mintSecret('key')).not.toBe(mintSecret('key'));
  });

  it('DESIGN §3 — parseMintedSecret (native CRC-32) answers as the protocol’s parseSecret: minted secrets pass, every one-character typo and a wrong kind fail', () => {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (const kind of Object.keys(SECRET_KINDS) as SecretKind[]) {
      const secret = mintSecret(kind);
      expect(parseMintedSecret(secret, kind)).toEqual(parseSecret(secret, kind));
      expect(parseMintedSecret(secret, kind)).toBeDefined();
      expect(parseMintedSecret(secret, kind === 'key' ? 'cs' : 'key')).toBeUndefined();
    }
    const secret = mintSecret('cs');
    const head = 'tsr_cs_'.length;
    for (let at = head; at < secret.length; at++) {
      const other = alphabet[(alphabet.indexOf(secret[at] ?? '0') + 1) % alphabet.length];
      const typo = `${secret.slice(0, at)}${other}${secret.slice(at + 1)}`;
      expect(parseSecret(typo, 'cs')).toBeUndefined();
      expect(parseMintedSecret(typo, 'cs'), typo).toBeUndefined();
    }
  });
});

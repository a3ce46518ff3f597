import { describe, expect, it } from 'vitest';
import { hashSecret, mintSecret, newId } from './ids.js';

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
});

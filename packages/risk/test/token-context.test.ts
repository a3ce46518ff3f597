/**
 * The `tctx` issuance context (docs/risk.md, continuous authentication): no raw address or UA in
 * the claim, a request from the token's own network and client passes, another network or client
 * family is refused by the default policy, a NAT neighbour (same /24) cannot be told apart.
 */
import { assessTokenUse, createTokenContext, defaultTokenUsePolicy } from '@tessera/risk';
import { describe, expect, it } from 'vitest';

const CHROME_WIN =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CHROME_WIN_NEWER = CHROME_WIN.replace('Chrome/120', 'Chrome/121');
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const home = { ip: '81.2.69.10', userAgent: CHROME_WIN };

describe('token issuance context (tctx)', () => {
  it('carries neither the address nor the User-Agent, and a fresh salt per token', () => {
    const a = createTokenContext(home);
    const b = createTokenContext(home);
    expect(a).not.toContain('81.2');
    expect(a).not.toMatch(/chrome|windows/i);
    expect(a).toMatch(/^1\.[\w-]{11}\.[\w-]{3}\.[\w-]{3}$/);
    expect(a).not.toBe(b);
  });

  it('a use from the same /24 with the same browser family passes (also another version, IPv4-mapped form)', () => {
    const claim = createTokenContext(home);
    for (const use of [home, { ip: '::ffff:81.2.69.200', userAgent: CHROME_WIN_NEWER }]) {
      const assessment = assessTokenUse(claim, use);
      expect(assessment.score).toBe(0);
      expect(defaultTokenUsePolicy(assessment)).toBe('allow');
    }
  });

  it('a replay from another network is refused, even with the copied User-Agent', () => {
    let refused = 0;
    for (let i = 0; i < 2000; i += 1) {
      const claim = createTokenContext(home);
      const assessment = assessTokenUse(claim, { ip: `81.2.${(70 + i) % 256}.9`, userAgent: CHROME_WIN });
      if (defaultTokenUsePolicy(assessment) === 'refuse') {
        refused += 1;
      }
    }
    // 16-bit digests: a different /24 passes by chance with probability 2⁻¹⁶.
    expect(refused / 2000).toBeGreaterThanOrEqual(0.99);
  });

  it('a different client family from the same network is refused', () => {
    const assessment = assessTokenUse(createTokenContext(home), { ip: home.ip, userAgent: FIREFOX_LINUX });
    expect(assessment.factors.find((f) => f.name === 'token_client')?.value).toBeGreaterThan(0);
    expect(defaultTokenUsePolicy(assessment)).toBe('refuse');
  });

  it('behind the victim’s own NAT (same /24, copied UA) a replay cannot be told apart', () => {
    expect(assessTokenUse(createTokenContext(home), { ip: '81.2.69.77', userAgent: CHROME_WIN }).score).toBe(
      0,
    );
  });

  it('an unreadable claim or missing request data gives a score, never a throw', () => {
    for (const claim of [undefined, 42, '', '2.a.b.c', '1..b.c', 'x'.repeat(10_000)]) {
      const assessment = assessTokenUse(claim, home);
      expect(assessment.score).toBeGreaterThan(0);
      expect(defaultTokenUsePolicy(assessment)).toBe('flag');
    }
    expect(() =>
      assessTokenUse(createTokenContext(home), { ip: 'not an ip', userAgent: undefined }),
    ).not.toThrow();
  });
});

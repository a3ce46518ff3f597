/**
 * Issue 12 item 8: every parser Tessera owns, under fast-check, seeded and bounded: form bodies,
 * HTTP Basic client credentials, JWT access tokens and `id_token_hint`. Each property is either
 * "never throws anything but the documented OAuthError" or a round trip.
 */
import { isOAuthError } from '@tessera/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseForm } from '../../src/http/plugins/form-body.js';
import { parseBasicCredentials } from '../../src/oauth/client-auth/client-secret-basic.js';
import { createAccessTokenVerifier } from '../../src/tokens/verify-access-token.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, FORM, form } from '../support/clients.js';

const RUNS = { seed: 0x7e55e4a, numRuns: 200 } as const;

/** Calls `fn`; a throw must be an OAuthError with `code`. */
function throwsOnly(code: string, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isOAuthError(error) || error.code !== code) {
      throw new Error(`threw something other than ${code}: ${String(error)}`);
    }
  }
}

/** Text made of the characters form and Basic parsers care about, plus anything at all. */
const formish = fc.oneof(
  fc.string({
    unit: fc.constantFrom('a', '=', '&', ':', '%', '+', '2', 'F', 'z', 'é', ' ', '%C3', '%A9', '%', '\u0000'),
    maxLength: 60,
  }),
  fc.string({ unit: 'binary', maxLength: 60 }),
);
const name = fc.string({ unit: 'grapheme', maxLength: 12 });
const value = fc.string({ unit: 'grapheme', maxLength: 24 });

describe('application/x-www-form-urlencoded bodies (RFC 6749 §3.2, form-body.ts)', () => {
  it('any bytes: a FormBody or invalid_request, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          formish.map((s) => Buffer.from(s)),
        ),
        (bytes) => {
          throwsOnly('invalid_request', () => {
            const body = parseForm(Buffer.from(bytes));
            for (const entry of Object.values(body)) {
              expect(typeof entry === 'string' || Array.isArray(entry)).toBe(true);
            }
          });
        },
      ),
      RUNS,
    );
  });

  it('round-trips what URLSearchParams encodes, repeated names kept in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), (pairs) => {
        const encoded = new URLSearchParams(pairs).toString();
        const parsed = parseForm(Buffer.from(encoded));
        const expected = new Map<string, string[]>();
        for (const [n, v] of pairs) {
          expected.set(n, [...(expected.get(n) ?? []), v]);
        }
        for (const [n, values] of expected) {
          const got = parsed[n];
          expect(Array.isArray(got) ? got : [got]).toEqual(values);
        }
        expect(Object.keys(parsed).sort()).toEqual([...expected.keys()].sort());
      }),
      RUNS,
    );
  });
});

describe('HTTP Basic client credentials (RFC 6749 §2.3.1, RFC 7617, client-secret-basic.ts)', () => {
  it('any header value: credentials or invalid_client, nothing else', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }).map((s) => `Basic ${s}`),
      formish.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
      fc.uint8Array({ maxLength: 60 }).map((b) => `basic ${Buffer.from(b).toString('base64')}`),
    );
    fc.assert(
      fc.property(header, (value) => {
        throwsOnly('invalid_client', () => {
          const credentials = parseBasicCredentials(value);
          expect(credentials.clientId.length).toBeGreaterThan(0);
          expect(credentials.secret.length).toBeGreaterThan(0);
        });
      }),
      RUNS,
    );
  });

  it('round-trips any non-empty client id and secret (form-encoded, then base64; scheme in any case)', () => {
    const nonEmpty = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
    const scheme = fc.constantFrom('Basic', 'basic', 'BASIC', 'bAsIc');
    fc.assert(
      fc.property(nonEmpty, nonEmpty, scheme, (clientId, secret, s) => {
        const header = basicAuthorization(clientId, secret).replace(/^Basic/, s);
        expect(parseBasicCredentials(header)).toEqual({ clientId, secret });
      }),
      RUNS,
    );
  });
});

describe('JWTs: access tokens (RFC 9068) and id_token_hint (RP-Initiated Logout §2)', () => {
  let t: TestServer;
  let realToken: string;
  let verify: ReturnType<typeof createAccessTokenVerifier>;

  beforeAll(async () => {
    t = await bootstrap();
    const client = await createTestClient(t);
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    realToken = response.json().access_token;
    verify = createAccessTokenVerifier({ issuer: TEST_ISSUER, keyring: t.keyring, clock: t.clock });
  });
  afterAll(() => t.close());

  const b64 = (value: unknown) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  /** JWT-shaped strings: JSON (or anything) in each segment, our kid or any kid, any alg. */
  const jwtShaped = () =>
    fc
      .tuple(
        fc.oneof(
          fc.record({
            alg: fc.constantFrom('ES256', 'none', 'HS256', 'RS256'),
            kid: fc.string(),
            typ: fc.constantFrom('at+jwt', 'JWT'),
          }),
          fc.jsonValue(),
          fc.string(),
        ),
        fc.oneof(fc.jsonValue(), fc.string()),
        fc.uint8Array({ maxLength: 80 }),
      )
      .map(
        ([header, payload, signature]) =>
          `${b64(header)}.${b64(payload)}.${Buffer.from(signature).toString('base64url')}`,
      );

  it('the access-token verifier resolves undefined for any string or JWT-shaped garbage, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), jwtShaped()),
        async (token) => {
          expect(await verify(token)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it('a real access token with any character changed is refused (unless it decodes to the same bytes)', async () => {
    expect(await verify(realToken)).toBeDefined();
    const segments = (token: string) =>
      token.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
        async (at, ch) => {
          const index = at % realToken.length;
          fc.pre(realToken[index] !== ch);
          const changed = realToken.slice(0, index) + ch + realToken.slice(index + 1);
          // base64url's last character may carry unused bits: a change there can decode to the same bytes.
          fc.pre(JSON.stringify(segments(changed)) !== JSON.stringify(segments(realToken)));
          expect(await verify(changed)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it('/end-session with any id_token_hint answers 400 invalid_request (never 500)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), jwtShaped()),
        async (hint) => {
          const response = await t.app.inject({
            method: 'GET',
            url: `/end-session?${new URLSearchParams({ id_token_hint: hint })}`,
          });
          expect(response.statusCode).toBe(400);
        },
      ),
      // Fewer runs: /end-session has its own per-IP rate limit.
      { ...RUNS, numRuns: 60 },
    );
  });
});

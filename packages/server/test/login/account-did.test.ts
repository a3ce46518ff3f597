/**
 * Issue "Decentralized identity" item 5 — linking a DID on the account page: the page shows a
 * single-use challenge bound to the account session; the person posts their DID and a compact JWS
 * (RFC 7515) over `aud` (the issuer), `nonce` and `iat`, signed with a key of the DID (`kid` a
 * verification method its document lists for authentication). did:key and did:jwk resolve offline,
 * did:web through the bounded fetch (a loopback HTTPS server with the test certificate here). Each
 * refusal leaves nothing linked; unlinking needs a fresh sign-in like a wallet's.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { base58btc } from 'multiformats/bases/base58';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountSignIn } from '../support/account.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { type Browser, createUser, hiddenFields } from '../support/login.js';

const CERT = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));

interface DidKeyPair {
  did: string;
  kid: string;
  privateKey: CryptoKey;
  alg: 'EdDSA' | 'ES256';
  publicJwk: JWK;
}

/** A did:key for a fresh Ed25519 key (multicodec ed25519-pub + key, base58btc); kid `#<multibase>`. */
async function ed25519DidKey(): Promise<DidKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const multibase = base58btc.encode(
    Uint8Array.from([0xed, 0x01, ...Buffer.from(publicJwk.x ?? '', 'base64url')]),
  );
  const did = `did:key:${multibase}`;
  return { did, kid: `${did}#${multibase}`, privateKey, alg: 'EdDSA', publicJwk };
}

/** A did:jwk for a fresh P-256 key; its one verification method is `#0`. */
async function p256DidJwk(): Promise<DidKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const publicJwk = { kty, crv, x, y } as JWK;
  const did = `did:jwk:${Buffer.from(JSON.stringify(publicJwk)).toString('base64url')}`;
  return { did, kid: `${did}#0`, privateKey, alg: 'ES256', publicJwk };
}

let t: TestServer;
let aliceId: string;
let server: Server;
let webHost: string;
const documents = new Map<string, unknown>();

beforeAll(async () => {
  server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, serveDocument);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webHost = `127.0.0.1%3A${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  t = await bootstrap({
    'account.didMethods': 'key,jwk,web',
    'clients.allowPrivateJwksUri': true,
    'clients.fetchCaFile': CERT,
    'clients.jwksFetchTimeout': '2s',
  });
  aliceId = (await createUser(t)).id;
  await createUser(t, 'bob');
});
afterEach(async () => {
  await t.close();
});

function serveDocument(request: IncomingMessage, response: ServerResponse) {
  const body = documents.get(request.url ?? '');
  response.statusCode = body === undefined ? 404 : 200;
  response.setHeader('content-type', 'application/json');
  response.end(body === undefined ? '' : JSON.stringify(body));
}

/** The challenge the account page shows this browser, and its CSRF token. */
async function challengeOf(browser: Browser) {
  const page = await browser.get('/account');
  expect(page.statusCode).toBe(200);
  const nonce = /<code id="did-nonce">([0-9a-f]+)<\/code>/.exec(page.body)?.[1] ?? '';
  const aud = /<code id="did-aud">([^<]+)<\/code>/.exec(page.body)?.[1] ?? '';
  return { nonce, aud, csrf: hiddenFields(page.body).csrf_token ?? '' };
}

async function proof(
  key: DidKeyPair,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  signingKey: CryptoKey = key.privateKey,
) {
  return new SignJWT({ iat: t.clock.now(), ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(signingKey);
}

async function link(browser: Browser, did: string, jws: string, csrf?: string) {
  return browser.post('/account/identifiers/did', {
    csrf_token: csrf ?? (await challengeOf(browser)).csrf,
    did,
    jws,
  });
}

/** Posts a proof over this browser's current challenge; `claims` override aud/nonce/iat. */
async function linkWith(
  browser: Browser,
  key: DidKeyPair,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
) {
  const { nonce, aud, csrf } = await challengeOf(browser);
  return link(browser, key.did, await proof(key, { aud, nonce, ...claims }, header), csrf);
}

async function refusalsAudited(): Promise<unknown[]> {
  await t.audit.flush();
  return (await t.store.listAudit({ limit: 200 })).items
    .filter((event) => event.type === 'identifier.link_refused')
    .map((event) => event.data.reason);
}

describe('linking a DID on the account page', () => {
  it('the page shows the challenge (aud = the issuer, a nonce); a did:key proof links the DID; unlinking after a fresh sign-in', async () => {
    const browser = await accountSignIn(t);
    const { aud, nonce } = await challengeOf(browser);
    expect(aud).toBe(TEST_ISSUER);
    expect(nonce).toMatch(/^[0-9a-f]{68}$/);
    const key = await ed25519DidKey();
    const linked = await linkWith(browser, key);
    expect(linked.statusCode, linked.body).toBe(303);
    expect(linked.headers.location).toBe('/account?done=did_linked#identifiers');
    expect(await t.store.listLinkedIdentifiers(aliceId)).toMatchObject([
      { identifier: key.did, method: 'did' },
    ]);
    const page = await browser.get('/account?done=did_linked');
    expect(page.body).toContain('The DID was linked to your account.');
    expect(page.body).toContain(`data-identifier="${key.did}"`);

    const unlinked = await browser.post('/account/identifiers/unlink', {
      csrf_token: (await challengeOf(browser)).csrf,
      identifier: key.did,
    });
    expect(unlinked.statusCode).toBe(303);
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);
  });

  it('a did:jwk (ES256, relative kid #0) and a did:web (its document over HTTPS) link too', async () => {
    const browser = await accountSignIn(t);
    const jwk = await p256DidJwk();
    expect((await linkWith(browser, jwk, {}, { kid: '#0' })).statusCode).toBe(303);

    const web = await ed25519DidKey();
    const did = `did:web:${webHost}:people:alice`;
    documents.set('/people/alice/did.json', {
      id: did,
      verificationMethod: [
        { id: `${did}#key-1`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: web.publicJwk },
      ],
      authentication: [`${did}#key-1`],
    });
    const webKey = { ...web, did, kid: `${did}#key-1` };
    const linked = await linkWith(browser, webKey);
    expect(linked.statusCode, linked.body).toBe(303);
    expect((await t.store.listLinkedIdentifiers(aliceId)).map((item) => item.identifier)).toEqual([
      jwk.did,
      did,
    ]);
  });

  it('refusals: wrong aud, a nonce of another session, a replayed or expired nonce, a key not in the DID document, a bad signature, a malformed DID or proof; nothing is linked', async () => {
    const browser = await accountSignIn(t);
    const key = await ed25519DidKey();
    const expectRefused = async (response: { statusCode: number; body: string }, text: string) => {
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(text);
    };

    await expectRefused(
      await linkWith(browser, key, { aud: 'https://evil.example' }),
      'for another server (aud)',
    );

    // A challenge shown to bob's session is not alice's.
    const bob = await accountSignIn(t, undefined, 'bob');
    const bobs = await challengeOf(bob);
    await expectRefused(
      await linkWith(browser, key, { nonce: bobs.nonce }),
      'not the challenge this page gave you',
    );
    await expectRefused(await linkWith(browser, key, { nonce: 'f'.repeat(68) }), 'not the challenge');
    await expectRefused(await linkWith(browser, key, { nonce: undefined }), 'not the challenge');

    // Expired: the challenge's ten minutes have passed.
    const stale = await challengeOf(browser);
    const late = await proof(key, { aud: stale.aud, nonce: stale.nonce });
    t.clock.advance(601);
    await expectRefused(await link(browser, key.did, late, stale.csrf), 'has expired');
    // An iat from before the challenge was issued, or in the future.
    await expectRefused(await linkWith(browser, key, { iat: t.clock.now() - 3600 }), 'has expired');
    await expectRefused(await linkWith(browser, key, { iat: t.clock.now() + 3600 }), 'has expired');
    await expectRefused(await linkWith(browser, key, { exp: t.clock.now() - 120 }), 'has expired');

    // The key must be the DID's: another did:key's kid, a kid that is not a DID URL of this DID.
    const other = await ed25519DidKey();
    await expectRefused(
      await linkWith(browser, key, {}, { kid: `${key.did}#other` }),
      'not one the DID document lists',
    );
    await expectRefused(await linkWith(browser, key, {}, { kid: other.kid }), 'not a compact JWS');
    // Signed by another key under this DID's kid.
    const { nonce, aud, csrf } = await challengeOf(browser);
    const forged = await proof(key, { aud, nonce }, {}, other.privateKey);
    await expectRefused(await link(browser, key.did, forged, csrf), 'does not verify');
    // Claims about another DID, and no signing algorithm worth the name.
    await expectRefused(await linkWith(browser, key, { iss: other.did }), 'names another DID');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    await expectRefused(await link(browser, key.did, unsigned), 'not a compact JWS');
    await expectRefused(await link(browser, key.did, 'not-a-jws'), 'not a compact JWS');

    // Malformed DIDs, and methods that are not on.
    for (const did of ['did:key:', 'did:example:123', 'did:pkh:eip155:1:0xabc', 'alice', `${key.did} x`]) {
      await expectRefused(
        await link(browser, did, await proof(key, { aud, nonce })),
        'not a DID this server accepts',
      );
    }
    // A did:web whose document is not there.
    const missing = { ...key, did: `did:web:${webHost}:nobody`, kid: `did:web:${webHost}:nobody#key-1` };
    await expectRefused(await linkWith(browser, missing), 'could not be resolved');

    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);
    expect(await refusalsAudited()).toEqual(
      expect.arrayContaining([
        'wrong_audience',
        'bad_nonce',
        'expired',
        'unknown_key',
        'bad_signature',
        'malformed_did',
        'malformed_proof',
        'unresolvable',
      ]),
    );
  });

  it('a nonce links once: the same proof again is refused (replayed), and a proof with a bad signature does not burn the nonce', async () => {
    const browser = await accountSignIn(t);
    const key = await ed25519DidKey();
    const { nonce, aud, csrf } = await challengeOf(browser);
    const forged = await proof(key, { aud, nonce }, {}, (await ed25519DidKey()).privateKey);
    expect((await link(browser, key.did, forged, csrf)).statusCode).toBe(400);
    const jws = await proof(key, { aud, nonce });
    expect((await link(browser, key.did, jws, csrf)).statusCode).toBe(303);
    await t.store.unlinkIdentifier(aliceId, key.did);
    const again = await link(browser, key.did, jws, csrf);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('used already');
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);
  });

  it('a DID linked to another account is refused (409), and nothing changes', async () => {
    const key = await ed25519DidKey();
    const bob = await accountSignIn(t, undefined, 'bob');
    expect((await linkWith(bob, key)).statusCode).toBe(303);
    const browser = await accountSignIn(t);
    const taken = await linkWith(browser, key);
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('already linked to an account');
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);
    expect((await t.store.findLinkedIdentifier(key.did))?.method).toBe('did');
  });

  it('no CSRF token → 403; the German page speaks German; off (no account.didMethods) → no form and 404', async () => {
    const browser = await accountSignIn(t);
    const key = await ed25519DidKey();
    const { nonce, aud } = await challengeOf(browser);
    const noCsrf = await browser.post('/account/identifiers/did', {
      did: key.did,
      jws: await proof(key, { aud, nonce }),
    });
    expect(noCsrf.statusCode).toBe(403);
    browser.headers['accept-language'] = 'de';
    const page = await browser.get('/account');
    expect(page.body).toContain('DID verknüpfen');
    expect((await linkWith(browser, key, { aud: 'https://evil.example' })).body).toContain(
      'für einen anderen Server bestimmt',
    );
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);

    await t.close();
    t = await bootstrap();
    await createUser(t);
    const off = await accountSignIn(t);
    const offPage = await off.get('/account');
    expect(offPage.body).not.toContain('did-nonce');
    const refused = await off.post('/account/identifiers/did', {
      csrf_token: hiddenFields(offPage.body).csrf_token ?? '',
      did: key.did,
      jws: 'x.y.z',
    });
    expect(refused.statusCode).toBe(404);
  });
});

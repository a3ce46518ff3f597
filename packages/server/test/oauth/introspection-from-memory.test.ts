/**
 * RFC 7662 §2.2 — introspection of a token seen before, answered from memory without a promise
 * (the verified-token cache, the opaque row cache, the client registry's `peek`), and the checks it
 * must still make on every request: the denylist, the row's own revocation and expiry, the token's
 * client, the caller (§4). The HTTP behaviour is in introspection.test.ts; here the introspectors
 * themselves, with the real verifier and row cache and an in-memory denylist and client registry.
 */

import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { hashSecret, mintSecret } from '../../src/ids.js';
import { generateKeyPairFromDer } from '../../src/keys/keyring.js';
import { NOT_CACHED } from '../../src/oauth/client-registry.js';
import {
  createJwtAccessTokenIntrospector,
  createOpaqueAccessTokenIntrospector,
  introspectToken,
} from '../../src/oauth/introspection.js';
import { newClient } from '../../src/store/contract/fixtures.js';
import type { AccessTokenRecord, ClientRecord } from '../../src/store/ports.js';
import { createOpaqueAccessTokenCache } from '../../src/tokens/opaque-access-token-cache.js';
import { createAccessTokenVerifier } from '../../src/tokens/verify-access-token.js';

const ISSUER = 'https://auth.example.test';
const NOW = 1_900_000_000;

function clientRecord(id: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  const client = newClient({
    id,
    name: id,
    grantTypes: ['client_credentials'],
    scope: ['read'],
    audiences: [],
    redirectUris: [],
  });
  return { ...client, createdAt: NOW, updatedAt: NOW, ...overrides } as ClientRecord;
}

/** The client registry as the introspectors see it: `peek` from memory unless told to forget. */
function registry(records: ClientRecord[]) {
  const byId = new Map(records.map((record) => [record.id, record]));
  const state = { inMemory: true, loads: 0 };
  return {
    state,
    set(record: ClientRecord) {
      byId.set(record.id, record);
    },
    get(id: string) {
      state.loads += 1;
      return Promise.resolve(byId.get(id));
    },
    peek(id: string) {
      return state.inMemory ? byId.get(id) : NOT_CACHED;
    },
  };
}

/** A denylist by `jti` and by client (what the real one also answers synchronously). */
function denylist() {
  const jtis = new Set<string>();
  const clients = new Set<string>();
  return {
    jtis,
    clients,
    isRevoked: (token: { jti: string; clientId: string }) =>
      jtis.has(token.jti) || clients.has(token.clientId),
  };
}

const caller = clientRecord('cli_rs', { permissions: ['introspect'] });
const holder = clientRecord('cli_holder');

async function jwtSetup() {
  const clock = createFixedClock(NOW);
  const { privateKey, publicKey } = generateKeyPairFromDer('ec', { namedCurve: 'P-256' });
  const key = { kid: 'k1', alg: 'ES256' as const, privateKey, publicKey };
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    keyring: { find: (kid) => (kid === key.kid ? key : undefined) },
    clock,
  });
  const sign = (jti: string) =>
    new SignJWT({ client_id: holder.id, scope: 'read', gid: 'fam_1' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setSubject('usr_1')
      .setAudience('https://api.example.test')
      .setIssuedAt(NOW - 10)
      .setExpirationTime(NOW + 600)
      .setJti(jti)
      .sign(privateKey);
  const clients = registry([caller, holder]);
  const revocations = denylist();
  const introspector = createJwtAccessTokenIntrospector({ verify, revocations, clients });
  return { clock, sign, clients, revocations, introspector };
}

describe('RFC 7662 §2.2 — a JWT seen before, from memory', () => {
  it('the second answer is no promise, and is the very answer the first built', async () => {
    const { sign, introspector } = await jwtSetup();
    const token = await sign('jti_1');
    const first = introspectToken(token, caller, [introspector]);
    expect(first).toBeInstanceOf(Promise);
    const fresh = await first;
    const again = introspectToken(token, caller, [introspector]);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toBe(fresh);
    expect(again).toMatchObject({ active: true, token_type: 'Bearer', jti: 'jti_1', grant_id: 'fam_1' });
  });

  it('revoked (its jti, then its client) after an active answer from memory → inactive at once', async () => {
    const { sign, introspector, revocations } = await jwtSetup();
    const token = await sign('jti_2');
    await introspectToken(token, caller, [introspector]);
    expect(introspectToken(token, caller, [introspector])).toMatchObject({ active: true });
    revocations.jtis.add('jti_2');
    expect(introspectToken(token, caller, [introspector])).toEqual({ active: false });
    revocations.jtis.clear();
    revocations.clients.add(holder.id);
    expect(introspectToken(token, caller, [introspector])).toEqual({ active: false });
  });

  it('its client disabled (as the registry holds it) → inactive from memory; not in memory → read, same answer', async () => {
    const { sign, introspector, clients } = await jwtSetup();
    const token = await sign('jti_3');
    const active = await introspectToken(token, caller, [introspector]);
    clients.set({ ...holder, disabled: true });
    expect(introspectToken(token, caller, [introspector])).toEqual({ active: false });
    clients.set(holder);
    clients.state.inMemory = false;
    const loaded = introspectToken(token, caller, [introspector]);
    expect(loaded).toBeInstanceOf(Promise);
    expect(await loaded).toBe(active);
    expect(clients.state.loads).toBe(1);
  });

  it('RFC 7662 §4 — a caller without the permission gets nothing from memory either', async () => {
    const { sign, introspector } = await jwtSetup();
    const token = await sign('jti_4');
    await introspectToken(token, caller, [introspector]);
    const stranger = clientRecord('cli_stranger');
    expect(introspectToken(token, stranger, [introspector])).toEqual({ active: false });
  });

  it('expired while in memory → inactive', async () => {
    const { sign, introspector, clock } = await jwtSetup();
    const token = await sign('jti_5');
    await introspectToken(token, caller, [introspector]);
    clock.advance(601);
    expect(introspectToken(token, caller, [introspector])).toEqual({ active: false });
  });
});

function opaqueSetup() {
  const clock = createFixedClock(NOW);
  const token = mintSecret('at');
  const row: AccessTokenRecord = {
    hash: hashSecret(token),
    jti: 'jti_o',
    clientId: holder.id,
    subject: 'usr_1',
    scope: ['read'],
    audience: ['https://api.example.test'],
    claims: { tenant: 'acme' },
    grantId: null,
    issuedAt: NOW - 10,
    expiresAt: NOW + 600,
    revokedAt: null,
  };
  const rows = new Map([[row.hash, row]]);
  const reads = { count: 0 };
  const handlers: Array<() => void> = [];
  const cache = createOpaqueAccessTokenCache({
    store: {
      findAccessToken: (hash) => {
        reads.count += 1;
        const found = rows.get(hash);
        return Promise.resolve(found === undefined ? undefined : { ...found });
      },
    },
    bus: {
      subscribe: ((_topic: string, handler: () => void) => {
        handlers.push(handler);
        return () => undefined;
      }) as never,
    },
    clock,
  });
  const clients = registry([caller, holder]);
  const revocations = denylist();
  const introspector = createOpaqueAccessTokenIntrospector({
    issuer: ISSUER,
    store: cache,
    revocations,
    clients,
    clock,
  });
  const revocationCreated = () => {
    for (const handler of handlers) {
      handler();
    }
  };
  return { token, row, rows, reads, clock, clients, revocations, introspector, revocationCreated };
}

describe('RFC 7662 §2.2 — an opaque token seen before, from memory', () => {
  it('the second answer is no promise and no read, and equals what a fresh introspector builds', async () => {
    const { token, reads, introspector } = opaqueSetup();
    const first = introspectToken(token, caller, [introspector]);
    expect(first).toBeInstanceOf(Promise);
    const built = await first;
    const again = introspectToken(token, caller, [introspector]);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toBe(built);
    expect(reads.count).toBe(1);
    // A fresh introspector (nothing in memory) answers the same token with the same JSON.
    const fresh = await introspectToken(token, caller, [opaqueSetupWith(token).introspector]);
    expect(JSON.stringify(again)).toBe(JSON.stringify(fresh));
    expect(again).toMatchObject({
      active: true,
      token_type: 'Bearer',
      iss: ISSUER,
      client_id: holder.id,
      tenant: 'acme',
    });
  });

  it('revoked after an active answer (denylist and row, the cache emptied by the event) → inactive at once', async () => {
    const { token, row, rows, introspector, revocations, revocationCreated } = opaqueSetup();
    await introspectToken(token, caller, [introspector]);
    expect(introspectToken(token, caller, [introspector])).toMatchObject({ active: true });
    revocations.jtis.add(row.jti);
    // The denylist alone (the event not yet delivered): the row in memory is not served.
    expect(introspectToken(token, caller, [introspector])).toEqual({ active: false });
    rows.set(row.hash, { ...row, revokedAt: NOW });
    revocationCreated();
    revocations.jtis.clear();
    // The row as the revocation left it, read again: revoked in the store → inactive.
    expect(await introspectToken(token, caller, [introspector])).toEqual({ active: false });
  });

  it('its client disabled → inactive from memory; expired while in memory → inactive', async () => {
    const { token, introspector, clients, clock } = opaqueSetup();
    await introspectToken(token, caller, [introspector]);
    clients.set({ ...holder, disabled: true });
    expect(introspectToken(token, caller, [introspector])).toEqual({ active: false });
    clients.set(holder);
    expect(introspectToken(token, caller, [introspector])).toMatchObject({ active: true });
    clock.advance(601);
    expect(await introspectToken(token, caller, [introspector])).toEqual({ active: false });
  });
});

/** Another introspector over a store holding the same row (for "a fresh answer"). */
function opaqueSetupWith(token: string) {
  const setup = opaqueSetup();
  const row = { ...setup.row, hash: hashSecret(token) };
  setup.rows.clear();
  setup.rows.set(row.hash, row);
  return setup;
}

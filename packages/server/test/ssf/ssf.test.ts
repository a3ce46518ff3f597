/**
 * The Shared Signals Framework transmitter (OpenID SSF 1.0, docs/risk.md): CAEP events as Security
 * Event Tokens (RFC 8417) polled per RFC 8936, verified the way a third-party receiver would, with
 * `jose` against the JWKS the transmitter metadata names.
 */
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { newSession, newUser } from '../../src/store/contract/fixtures.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(): Promise<{ t: TestServer; receiver: TestClient }> {
  t = await bootstrap({ 'ssf.longPollWait': 0 });
  const receiver = await createTestClient(t, { permissions: ['ssf:receive'] });
  return { t, receiver };
}

async function poll(
  server: TestServer,
  receiver: TestClient,
  body: Record<string, unknown> = { returnImmediately: true },
) {
  return server.app.inject({
    method: 'POST',
    url: '/ssf/poll',
    headers: { ...JSON_HEADERS, authorization: receiver.basic },
    payload: JSON.stringify(body),
  });
}

/** A live session of a new person, ended by an operator (DELETE /admin/sessions/:id). */
async function endSessionAsAdmin(server: TestServer): Promise<string> {
  const user = await server.store.createUser(newUser(), server.clock.now());
  const session = newSession(user.id, { expiresAt: server.clock.now() + 3600 });
  await server.store.createSession(session);
  const ended = await server.app.inject({
    method: 'DELETE',
    url: `/admin/sessions/${session.id}`,
    headers: server.adminHeaders,
  });
  expect(ended.statusCode).toBe(204);
  return session.id;
}

async function verifySet(server: TestServer, set: string, audience: string) {
  const meta = (await server.app.inject({ url: '/.well-known/ssf-configuration' })).json();
  const jwks = (await server.app.inject({ url: new URL(meta.jwks_uri).pathname })).json();
  return jwtVerify<JWTPayload & Record<string, unknown>>(set, createLocalJWKSet(jwks), {
    issuer: meta.issuer,
    audience,
    // RFC 8417 §2.3 explicit typing.
    typ: 'secevent+jwt',
  });
}

describe('GET /.well-known/ssf-configuration', () => {
  it('OpenID SSF 1.0 §7.1 — issuer, jwks_uri, poll delivery only, the configuration endpoint', async () => {
    const { t } = await start();
    const response = await t.app.inject({ url: '/.well-known/ssf-configuration' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({
      spec_version: '1_0',
      issuer: TEST_ISSUER,
      jwks_uri: `${TEST_ISSUER}/jwks`,
      delivery_methods_supported: ['urn:ietf:rfc:8936'],
      configuration_endpoint: `${TEST_ISSUER}/ssf/stream`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });
});

describe('POST /ssf/poll', () => {
  it('RFC 8936 §2.3 + CAEP §3.1 — a session ended by an operator arrives as a session-revoked SET that verifies against the JWKS', async () => {
    const { t, receiver } = await start();
    // The stream exists from the first poll on (SSF 1.0 §8.1.1: created on first use).
    expect((await poll(t, receiver)).json()).toEqual({ sets: {}, moreAvailable: false });
    const sid = await endSessionAsAdmin(t);

    const response = await poll(t, receiver);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json() as { sets: Record<string, string>; moreAvailable: boolean };
    expect(body.moreAvailable).toBe(false);
    const [[jti, set] = ['', '']] = Object.entries(body.sets);
    expect(Object.keys(body.sets)).toHaveLength(1);

    const { payload, protectedHeader } = await verifySet(t, set, receiver.id);
    expect(protectedHeader.typ).toBe('secevent+jwt');
    expect(decodeProtectedHeader(set).kid).toBeDefined();
    // RFC 8417 §2.2 claims; SSF 1.0 §4.1.2 / §4.1.5: never `sub`, never `exp`.
    expect(payload).toMatchObject({ iss: TEST_ISSUER, aud: receiver.id, jti });
    expect(typeof payload.iat).toBe('number');
    expect(payload.sub).toBeUndefined();
    expect(payload.exp).toBeUndefined();
    expect(typeof payload.txn).toBe('string');
    // RFC 9493 §3.2.4 opaque subject: the session id (CAEP §3.1 example).
    expect(payload.sub_id).toEqual({ format: 'opaque', id: sid });
    expect(payload.events).toEqual({ [SESSION_REVOKED]: { event_timestamp: t.clock.now() } });
  });

  it('RFC 8936 §2.2 — an acknowledged SET is removed: a second poll does not return it; unacknowledged ones come again', async () => {
    const { t, receiver } = await start();
    await poll(t, receiver);
    await endSessionAsAdmin(t);
    await endSessionAsAdmin(t);

    const first = Object.keys((await poll(t, receiver)).json().sets);
    expect(first).toHaveLength(2);
    // Not acknowledged: delivered again.
    expect(Object.keys((await poll(t, receiver)).json().sets)).toEqual(first);

    const acked = await poll(t, receiver, { ack: [first[0]], returnImmediately: true });
    expect(Object.keys(acked.json().sets)).toEqual([first[1]]);
    // RFC 8936 §2.2 setErrs: a SET the receiver reports in error is not sent again either.
    const reported = await poll(t, receiver, {
      setErrs: { [first[1] ?? '']: { err: 'invalid_request', description: 'not understood' } },
      returnImmediately: true,
    });
    expect(reported.json()).toEqual({ sets: {}, moreAvailable: false });
  });

  it('RFC 8936 §2.2 maxEvents / §2.3 moreAvailable — at most maxEvents SETs, and whether more wait', async () => {
    const { t, receiver } = await start();
    await poll(t, receiver);
    for (let i = 0; i < 3; i += 1) {
      await endSessionAsAdmin(t);
    }
    const two = (await poll(t, receiver, { maxEvents: 2, returnImmediately: true })).json();
    expect(Object.keys(two.sets)).toHaveLength(2);
    expect(two.moreAvailable).toBe(true);
    const none = (await poll(t, receiver, { maxEvents: 0, ack: Object.keys(two.sets) })).json();
    expect(none).toEqual({ sets: {}, moreAvailable: false });
    const rest = (await poll(t, receiver, { returnImmediately: true })).json();
    expect(Object.keys(rest.sets)).toHaveLength(1);
    expect(rest.moreAvailable).toBe(false);
  });

  it('CAEP §3.3 — a rotated client secret arrives as credential-change with an iss_sub subject', async () => {
    const { t, receiver } = await start();
    await poll(t, receiver);
    const other = await createTestClient(t);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/admin/clients/${other.id}/rotate-secret`,
      headers: { ...t.adminHeaders, ...JSON_HEADERS },
      payload: JSON.stringify({ grace: 0 }),
    });
    expect(rotated.statusCode).toBe(200);
    const [set = ''] = Object.values((await poll(t, receiver)).json().sets as Record<string, string>);
    const { payload } = await verifySet(t, set, receiver.id);
    expect(payload.sub_id).toEqual({ format: 'iss_sub', iss: TEST_ISSUER, sub: other.id });
    expect(payload.events).toEqual({
      [CREDENTIAL_CHANGE]: {
        credential_type: 'client-secret',
        change_type: 'update',
        event_timestamp: t.clock.now(),
      },
    });
  });

  it('each receiver gets its own SET (own jti, aud its client id); events before its stream existed are not queued for it', async () => {
    const { t, receiver } = await start();
    await poll(t, receiver);
    const late = await createTestClient(t, { permissions: ['ssf:receive'] });
    await endSessionAsAdmin(t);
    expect((await poll(t, late)).json().sets).toEqual({});
    await endSessionAsAdmin(t);
    const mine = (await poll(t, receiver)).json().sets as Record<string, string>;
    const theirs = (await poll(t, late)).json().sets as Record<string, string>;
    expect(Object.keys(mine)).toHaveLength(2);
    expect(Object.keys(theirs)).toHaveLength(1);
    const [theirJti = '', theirSet = ''] = Object.entries(theirs)[0] ?? [];
    expect(Object.keys(mine)).not.toContain(theirJti);
    expect((await verifySet(t, theirSet, late.id)).payload.aud).toBe(late.id);
    // A receiver cannot acknowledge another's SETs.
    await poll(t, receiver, { ack: [theirJti], returnImmediately: true });
    expect(Object.keys((await poll(t, late)).json().sets)).toEqual([theirJti]);
  });

  it('RFC 8936 §2.2 long poll — an empty poll without returnImmediately answers when an event arrives', async () => {
    t = await bootstrap({ 'ssf.longPollWait': 30 });
    const server = t;
    const receiver = await createTestClient(server, { permissions: ['ssf:receive'] });
    await poll(server, receiver);
    const started = Date.now();
    const waiting = poll(server, receiver, {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    await endSessionAsAdmin(server);
    const answer = (await waiting).json();
    expect(Object.keys(answer.sets)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('RFC 6749 §2.3.1 — no client credentials → 401 invalid_client with a Basic challenge', async () => {
    const { t } = await start();
    const response = await t.app.inject({
      method: 'POST',
      url: '/ssf/poll',
      headers: JSON_HEADERS,
      payload: '{}',
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'invalid_client' });
    expect(response.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('a client without the ssf:receive permission is refused: 403 access_denied, and gets no stream', async () => {
    const { t } = await start();
    const other = await createTestClient(t, { permissions: ['revocations:stream'] });
    const response = await poll(t, other);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: 'access_denied' });
    const stream = await t.app.inject({ url: '/ssf/stream', headers: { authorization: other.basic } });
    expect(stream.statusCode).toBe(403);
    expect(await t.store.listSsfStreamIds()).toEqual([]);
  });

  it.each([
    ['not an object', '[]'],
    ['not JSON', '{"ack": ['],
    ['ack not an array', '{"ack": "jti_1"}'],
    ['ack with a non-string', '{"ack": [1]}'],
    ['setErrs an array', '{"setErrs": []}'],
    ['setErrs without err', '{"setErrs": {"jti_1": {"description": "x"}}}'],
    ['maxEvents negative', '{"maxEvents": -1}'],
    ['maxEvents a fraction', '{"maxEvents": 1.5}'],
    ['maxEvents too large', '{"maxEvents": 100000}'],
    ['returnImmediately a string', '{"returnImmediately": "yes"}'],
  ])(
    'RFC 8936 §2.4 — a malformed poll (%s) → 400 invalid_request, nothing acknowledged',
    async (_name, payload) => {
      const { t, receiver } = await start();
      await poll(t, receiver);
      await endSessionAsAdmin(t);
      const response = await t.app.inject({
        method: 'POST',
        url: '/ssf/poll',
        headers: { ...JSON_HEADERS, authorization: receiver.basic },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request' });
      expect(Object.keys((await poll(t, receiver)).json().sets)).toHaveLength(1);
    },
  );
});

describe('POST /ssf/poll with other bodies', () => {
  it.each([
    ['an empty JSON body', 'application/json', ''],
    ['a form body', 'application/x-www-form-urlencoded', 'ack=jti_1'],
    ['plain text', 'text/plain', '{}'],
  ])('RFC 8936 §2.4 — %s → a 4xx, never a 500', async (_name, type, payload) => {
    const { t, receiver } = await start();
    const response = await t.app.inject({
      method: 'POST',
      url: '/ssf/poll',
      headers: { 'content-type': type, authorization: receiver.basic },
      payload,
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
  });
});

describe('GET /ssf/stream', () => {
  it('OpenID SSF 1.0 §8.1.1 — the receiver reads its stream: poll delivery at /ssf/poll, the CAEP events, aud its client id', async () => {
    const { t, receiver } = await start();
    const list = await t.app.inject({ url: '/ssf/stream', headers: { authorization: receiver.basic } });
    expect(list.statusCode).toBe(200);
    const [config] = list.json();
    expect(config).toMatchObject({
      iss: TEST_ISSUER,
      aud: receiver.id,
      delivery: { method: 'urn:ietf:rfc:8936', endpoint_url: `${TEST_ISSUER}/ssf/poll` },
    });
    expect(config.stream_id).toMatch(/^ssf_/);
    expect(config.events_supported).toEqual([
      SESSION_REVOKED,
      'https://schemas.openid.net/secevent/caep/event-type/assurance-level-change',
      CREDENTIAL_CHANGE,
    ]);
    const one = await t.app.inject({
      url: `/ssf/stream?stream_id=${config.stream_id}`,
      headers: { authorization: receiver.basic },
    });
    expect(one.json()).toEqual(config);
    const unknown = await t.app.inject({
      url: '/ssf/stream?stream_id=ssf_other',
      headers: { authorization: receiver.basic },
    });
    expect(unknown.statusCode).toBe(404);
  });
});

/**
 * Continuous authentication (issue 15 item 2, docs/risk.md): with `risk.enabled`, a person's access
 * tokens carry their issuance context (`tctx`); a verifier with `continuousAuthentication` compares
 * each request with it. Real HTTP against a listening Tessera: a token used from its own network
 * passes; the same token from another network is refused (RFC 6750 §3.1 `invalid_token`) at its
 * first use, reported to `POST /risk/reports`, and Tessera ends the session, whose `session`
 * revocation reaches every other verifier.
 */
import type { TokenResponse } from '@tessera/protocol';
import type { TokenUseAction, TokenUseAssessment } from '@tessera/risk';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, FORM, form, type TestClient } from '../../server/test/support/clients.js';
import { Browser, createCodeClient, createUser } from '../../server/test/support/login.js';
import { waitFor } from '../../server/test/support/wait-for.js';
import { createVerifier, type RequestView, type Verifier, VerifyError } from '../src/index.js';
import { refusal, codeFlow as signedInTokens } from './support/flows.js';
import {
  API,
  createApiServerClient,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
/** The token endpoint sees the test's requests from 127.0.0.1 (inject). */
const HOME = '127.0.0.1';
const ELSEWHERE = '203.0.113.9';

let t: Tessera;
let api: RegisteredClient;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  t = await startTessera({ 'risk.enabled': true });
  api = await createApiServerClient(t);
  await createUser(t);
});
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});
afterAll(() => t.close());

async function readyVerifier(
  options: {
    continuous?: boolean;
    report?: boolean;
    policy?: (a: TokenUseAssessment) => TokenUseAction;
    fetch?: typeof fetch;
  } = {},
): Promise<Verifier> {
  const verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
    ...(options.continuous === false
      ? {}
      : {
          continuousAuthentication: {
            // As a proxy would vouch for it.
            clientIp: (request: Request | RequestView) =>
              request instanceof Request ? undefined : request.header('x-client-ip'),
            report: options.report ?? true,
            ...(options.policy === undefined ? {} : { policy: options.policy }),
          },
        }),
  });
  verifiers.push(verifier);
  await verifier.ready();
  return verifier;
}

/** Authorization code flow with PKCE; the token request comes from HOME with CHROME's UA. */
function codeFlow(
  client: TestClient,
  scope = 'openid cookies:read',
  server: Tessera = t,
): Promise<TokenResponse> {
  return signedInTokens(server, client, new Browser(server), scope, { 'user-agent': CHROME });
}

function request(
  token: string,
  ip: string,
  userAgent = CHROME,
  route: { method: string; url: string } = { method: 'GET', url: 'https://api.example/cookies' },
): RequestView {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    'user-agent': userAgent,
    'x-client-ip': ip,
  };
  return { ...route, header: (name) => headers[name] };
}

/** The code a verifier answers a token with, or undefined when it accepts it. */
function outcome(verifier: Verifier, token: string): Promise<string | undefined> {
  return verifier.verify(request(token, HOME)).then(
    () => undefined,
    (error: unknown) => (error instanceof VerifyError ? error.code : 'unexpected'),
  );
}

async function signedInToken(tokenFormat: 'jwt' | 'opaque' = 'jwt'): Promise<string> {
  const client = await createCodeClient(t, { scope: ['cookies:read'], audiences: [API], tokenFormat });
  return (await codeFlow(client)).access_token;
}

describe('continuous authentication: the token carries its issuance context', () => {
  it('a sign-in session’s JWT carries tctx, a keyless salted digest: never the raw address or User-Agent', async () => {
    const claims = decodeJwt(await signedInToken());
    expect(typeof claims.sid).toBe('string');
    expect(claims.tctx).toMatch(/^1\.[\w-]{11}\.[\w-]{3}\.[\w-]{3}$/);
    // The test issuer's own URL is on 127.0.0.1; no other claim may name the address.
    const { iss: _issuer, ...rest } = claims;
    expect(JSON.stringify(rest)).not.toContain(HOME);
    expect(JSON.stringify(rest)).not.toMatch(/chrome|windows/i);
  });

  it('RFC 6750 §3.1 — used from its own network and client, the token passes', async () => {
    const verifier = await readyVerifier({ report: false });
    const token = await signedInToken();
    await expect(verifier.verify(request(token, HOME))).resolves.toMatchObject({ tokenType: 'jwt' });
    // Another address of the same /24 (a home NAT, DHCP), and the same token again (cached).
    await expect(verifier.verify(request(token, '127.0.0.77'))).resolves.toMatchObject({ tokenType: 'jwt' });
  });

  it('RFC 6750 §3.1 — the same token from another network is refused (invalid_token) at its first use, copied User-Agent or not', async () => {
    const verifier = await readyVerifier({ report: false });
    const token = await signedInToken();
    expect((await refusal(verifier.verify(request(token, ELSEWHERE)))).code).toBe('invalid_token');
    const other = await signedInToken();
    // First use ever, from another network: refused before any good use was seen.
    expect((await refusal(verifier.verify(request(other, ELSEWHERE, CHROME)))).code).toBe('invalid_token');
    // Opaque tokens: the context comes back in the introspection answer.
    const opaque = await signedInToken('opaque');
    await expect(verifier.verify(request(opaque, HOME))).resolves.toMatchObject({ tokenType: 'opaque' });
    expect((await refusal(verifier.verify(request(opaque, ELSEWHERE)))).code).toBe('invalid_token');
    // Without the option the verifier does not look (control).
    const plain = await readyVerifier({ continuous: false });
    await expect(plain.verify(request(other, ELSEWHERE))).resolves.toMatchObject({ tokenType: 'jwt' });
  });
});

describe('continuous authentication is off by default', () => {
  it('without risk.enabled: no tctx in a session’s token, no /risk/reports endpoint', async () => {
    const off = await startTessera();
    try {
      await createUser(off);
      const client = await createCodeClient(off, {
        scope: ['cookies:read'],
        audiences: [API],
        tokenFormat: 'jwt',
      });
      const claims = decodeJwt((await codeFlow(client, 'openid cookies:read', off)).access_token);
      expect(typeof claims.sid).toBe('string');
      expect(claims.tctx).toBeUndefined();
      const report = await fetch(`${off.url}/risk/reports`, { method: 'POST', body: '{}' });
      expect(report.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('continuous authentication: step-up policy', () => {
  it('RFC 9470 §3 — a step_up policy answers 401 insufficient_user_authentication; the flag reaches Tessera in a batch and the session stays', async () => {
    const verifier = await readyVerifier({ policy: (a) => (a.score > 0 ? 'step_up' : 'allow') });
    const token = await signedInToken();
    const error = await refusal(verifier.verify(request(token, ELSEWHERE)));
    expect(error.code).toBe('insufficient_user_authentication');
    const response = error.toResponse();
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');
    const sid = decodeJwt(token).sid;
    await waitFor(
      async () => {
        await t.audit.flush();
        return (await t.store.listAudit({ type: 'risk.token_use_flagged', limit: 50 })).items.some(
          (e) => e.subject === sid,
        );
      },
      { what: 'the flag report in the audit log' },
    );
    const other = await readyVerifier({ continuous: false });
    await expect(other.verify(request(token, HOME))).resolves.toMatchObject({ tokenType: 'jwt' });
  });
});

describe('continuous authentication: refreshed tokens', () => {
  it('RFC 6749 §6 — a token from the refresh grant carries the context of the refresh request', async () => {
    const verifier = await readyVerifier({ report: false });
    const client = await createCodeClient(t, {
      scope: ['cookies:read'],
      audiences: [API],
      tokenFormat: 'jwt',
    });
    const first = await codeFlow(client, 'openid offline_access cookies:read');
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/token',
      remoteAddress: ELSEWHERE,
      headers: { ...FORM, authorization: client.basic, 'user-agent': CHROME },
      payload: form({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' }),
    });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const token = refreshed.json<TokenResponse>().access_token;
    expect(decodeJwt(token).tctx).not.toBe(decodeJwt(first.access_token).tctx);
    await expect(verifier.verify(request(token, ELSEWHERE))).resolves.toMatchObject({ tokenType: 'jwt' });
    expect((await refusal(verifier.verify(request(token, HOME)))).code).toBe('invalid_token');
  });
});

describe('continuous authentication: a refusal ends the session everywhere', () => {
  it('RFC 7009 §2 / OpenID CAEP session-revoked in spirit — the refusing verifier reports it, Tessera ends the session, another verifier refuses the token from its own network', async () => {
    const refusing = await readyVerifier();
    const other = await readyVerifier({ continuous: false });
    const token = await signedInToken();
    await expect(other.verify(request(token, HOME))).resolves.toMatchObject({ tokenType: 'jwt' });

    expect((await refusal(refusing.verify(request(token, ELSEWHERE)))).code).toBe('invalid_token');
    const { ms } = await waitFor(
      () =>
        other.verify(request(token, HOME)).then(
          () => undefined,
          (error: unknown) => (error instanceof VerifyError ? error.code : 'unexpected'),
        ),
      {
        what: 'the other verifier to refuse the replayed session’s token',
        until: (code) => code !== undefined,
      },
    );
    expect((await refusal(other.verify(request(token, HOME)))).code).toBe('invalid_token');
    await t.audit.flush();
    const audit = await t.store.listAudit({ type: 'risk.token_use_refused', limit: 10 });
    expect(audit.items.map((e) => e.subject)).toContain(decodeJwt(token).sid);
    console.info(`session revoked at the other verifier ${ms} ms after the refusal`);
  });

  it('RFC 7662 §2.2 — an opaque token’s refusal is acted on too: Tessera finds it by its hash, ends the session, another verifier refuses it', async () => {
    const refusing = await readyVerifier();
    const other = await readyVerifier({ continuous: false });
    const token = await signedInToken('opaque');
    expect(await outcome(other, token)).toBeUndefined();
    expect((await refusal(refusing.verify(request(token, ELSEWHERE)))).code).toBe('invalid_token');
    await waitFor(() => outcome(other, token), {
      what: 'the other verifier to refuse the opaque token of the ended session',
      until: (code) => code !== undefined,
    });
    expect(await outcome(other, token)).toBe('invalid_token');
    await t.audit.flush();
    const audit = await t.store.listAudit({ type: 'risk.token_use_refused', limit: 20 });
    expect(audit.items.some((e) => (e.data as { jti?: unknown }).jti !== undefined)).toBe(true);
  });

  it('POST /risk/reports refuses a malformed body and ignores a token not addressed to the reporter', async () => {
    const bad = await fetch(`${t.url}/risk/reports`, {
      method: 'POST',
      headers: { authorization: api.basic, 'content-type': 'application/json' },
      body: JSON.stringify({ reports: [{ token: 42, action: 'refuse' }] }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('invalid_request');

    const token = await signedInToken();
    const stranger = await t.createClient({
      permissions: ['revocations:stream'],
      audiences: ['https://other.example'],
    });
    const ignored = await fetch(`${t.url}/risk/reports`, {
      method: 'POST',
      headers: { authorization: stranger.basic, 'content-type': 'application/json' },
      body: JSON.stringify({ reports: [{ token, action: 'refuse', factors: ['token_network'] }] }),
    });
    expect(ignored.status).toBe(202);
    expect(await ignored.json()).toEqual({ accepted: 0 });
    const verifier = await readyVerifier({ continuous: false });
    await expect(verifier.verify(request(token, HOME))).resolves.toMatchObject({ tokenType: 'jwt' });
  });
});

/** A third-party SSF receiver (`ssf:receive`): its stream exists from this first poll on. */
async function ssfReceiver(): Promise<TestClient> {
  const receiver = await createTestClient(t, { permissions: ['ssf:receive'] });
  expect((await pollSets(receiver)).statusCode).toBe(200);
  return receiver;
}

function pollSets(receiver: TestClient) {
  return t.app.inject({
    method: 'POST',
    url: '/ssf/poll',
    headers: { authorization: receiver.basic, 'content-type': 'application/json' },
    payload: JSON.stringify({ returnImmediately: true }),
  });
}

/** The `events` of the SETs (RFC 8417) about session `sid` the receiver can poll, verified against the JWKS. */
async function ssfEventsAbout(receiver: TestClient, sid: string): Promise<Record<string, unknown>[]> {
  const jwks = createLocalJWKSet((await t.app.inject({ url: '/jwks' })).json());
  const out: Record<string, unknown>[] = [];
  for (const set of Object.values((await pollSets(receiver)).json().sets as Record<string, string>)) {
    const { payload } = await jwtVerify(set, jwks, {
      issuer: t.url,
      audience: receiver.id,
      typ: 'secevent+jwt',
    });
    const subject = payload.sub_id as { format: string; id?: string };
    if (subject.format === 'opaque' && subject.id === sid) {
      out.push(payload.events as Record<string, unknown>);
    }
  }
  return out;
}

describe('continuous authentication: Tessera scores the reported usage stream (OpenID CAEP events)', () => {
  // The reporting verifier allows every use, so only Tessera's scoring of the use stream can act.
  const allowAll = () => 'allow' as const;

  it('OpenID CAEP 1.0 §3.1 session-revoked — interleaved use from two networks: Tessera ends the session and another verifier refuses its token at the next request', async () => {
    const reporting = await readyVerifier({ policy: allowAll });
    const other = await readyVerifier({ continuous: false });
    const receiver = await ssfReceiver();
    const token = await signedInToken();
    for (const ip of [HOME, ELSEWHERE, HOME]) {
      await expect(reporting.verify(request(token, ip))).resolves.toMatchObject({ tokenType: 'jwt' });
    }
    expect(await outcome(other, token)).toBeUndefined();
    await waitFor(() => outcome(other, token), {
      what: 'the other verifier to refuse the token of the ended session',
      until: (code) => code !== undefined,
    });
    expect(await outcome(other, token)).toBe('invalid_token');
    await t.audit.flush();
    const audit = await t.store.listAudit({ type: 'risk.session_usage_ended', limit: 10 });
    const event = audit.items.find((e) => e.subject === decodeJwt(token).sid);
    expect(event?.data).toMatchObject({ factors: ['usage_concurrent'] });
    // The same decision reaches a Shared Signals receiver as a CAEP session-revoked SET.
    expect(await ssfEventsAbout(receiver, decodeJwt(token).sid as string)).toEqual([
      {
        'https://schemas.openid.net/secevent/caep/event-type/session-revoked': {
          event_timestamp: expect.any(Number),
        },
      },
    ]);
  });

  it('OpenID CAEP 1.0 §3.2 assurance-level-change / RFC 9470 §3 — a settled session used on a new endpoint from a new network must step up: every verifier answers insufficient_user_authentication with acr_values', async () => {
    const reporting = await readyVerifier({ policy: allowAll });
    const other = await readyVerifier({ continuous: false });
    const receiver = await ssfReceiver();
    const token = await signedInToken();
    const bystander = await signedInToken();
    for (let i = 0; i < 10; i += 1) {
      await reporting.verify(request(token, HOME));
    }
    await reporting.verify(
      request(token, ELSEWHERE, CHROME, { method: 'DELETE', url: 'https://api.example/account' }),
    );
    await waitFor(() => outcome(other, token), {
      what: 'the assurance-level-change at the other verifier',
      until: (code) => code !== undefined,
    });
    const error = await refusal(other.verify(request(token, HOME)));
    expect(error.code).toBe('insufficient_user_authentication');
    const challenge = error.toResponse().headers['www-authenticate'];
    expect(challenge).toContain('error="insufficient_user_authentication"');
    expect(challenge).toContain('acr_values="urn:tessera:acr:mfa"');
    // Another session is not touched, and the session was not ended (a step-up, not a revocation).
    expect(await outcome(other, bystander)).toBeUndefined();
    const sid = decodeJwt(token).sid as string;
    expect(await t.store.findSession(sid)).toBeDefined();
    // A Shared Signals receiver gets it as a CAEP assurance-level-change SET (docs/risk.md).
    expect(await ssfEventsAbout(receiver, sid)).toEqual([
      {
        'https://schemas.openid.net/secevent/caep/event-type/assurance-level-change': {
          namespace: 'urn:tessera:acr',
          current_level: 'urn:tessera:acr:mfa',
          event_timestamp: expect.any(Number),
        },
      },
    ]);
  });

  it('RFC 9470 §3 — a step_up policy’s challenge carries acr_values and max_age as configured', async () => {
    const verifier = createVerifier({
      issuer: t.url,
      audience: API,
      now: () => t.clock.now(),
      continuousAuthentication: {
        clientIp: (r: Request | RequestView) => (r instanceof Request ? undefined : r.header('x-client-ip')),
        report: false,
        policy: (a) => (a.score > 0 ? 'step_up' : 'allow'),
        stepUp: { acr: 'urn:tessera:acr:phr', maxAge: 0 },
      },
    });
    verifiers.push(verifier);
    const error = await refusal(verifier.verify(request(await signedInToken(), ELSEWHERE)));
    const challenge = error.toResponse().headers['www-authenticate'];
    expect(challenge).toContain('acr_values="urn:tessera:acr:phr"');
    expect(challenge).toContain('max_age=0');
  });

  it('POST /risk/reports refuses malformed uses (400 invalid_request) and ignores uses of an unknown session', async () => {
    const post = (body: unknown) =>
      fetch(`${t.url}/risk/reports`, {
        method: 'POST',
        headers: { authorization: api.basic, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const uses of [
      [{ sid: 'ses_x', at: 'soon', network: 'n', endpoint: 'GET /' }],
      [{ sid: 'ses_x', at: 1, network: '', endpoint: 'GET /' }],
      'many',
    ]) {
      const bad = await post({ uses });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toBe('invalid_request');
    }
    const unknown = await post({ uses: [{ sid: 'ses_nobody', at: 1, network: 'n', endpoint: 'GET /' }] });
    expect(unknown.status).toBe(202);
    expect(await unknown.json()).toEqual({ accepted: 0 });
  });
});

describe('POST /risk/reports: uses act only on sessions the batch proves with one of their tokens', () => {
  /** Interleaved use from two networks: proven, Tessera ends the session (`usage_concurrent`). */
  function interleavedUses(sid: string) {
    const at = Date.now();
    return ['net-a', 'net-b', 'net-a'].map((network, i) => ({
      sid,
      jti: 'jti_forged',
      at: at + i,
      network,
      endpoint: 'GET /cookies',
    }));
  }

  function postBatch(basic: string, body: unknown, server: Tessera = t): Promise<Response> {
    return fetch(`${server.url}/risk/reports`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** How many items Tessera accepted of a batch it answered 202. */
  async function acceptedOf(basic: string, body: unknown, server: Tessera = t): Promise<number> {
    const response = await postBatch(basic, body, server);
    expect(response.status, await response.clone().text()).toBe(202);
    return ((await response.json()) as { accepted: number }).accepted;
  }

  async function sidOf(token: string): Promise<string> {
    if (!token.startsWith('tsr_at_')) {
      return decodeJwt(token).sid as string;
    }
    const answer = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: api.basic },
      payload: form({ token }),
    });
    return answer.json<{ sid: string }>().sid;
  }

  async function isLive(sid: string, server: Tessera = t): Promise<boolean> {
    return (await server.store.findSession(sid)) !== undefined;
  }

  it('forged uses for another person’s session without a proof change nothing (audited once per batch); with the session’s token as proof, the same uses end it', async () => {
    const victim = await signedInToken();
    const sid = await sidOf(victim);
    const uses = interleavedUses(sid);
    expect(await acceptedOf(api.basic, { uses })).toBe(0);
    expect(await isLive(sid)).toBe(true);
    await t.audit.flush();
    const unproven = await t.store.listAudit({ type: 'risk.session_usage_unproven', limit: 50 });
    expect(unproven.items.find((e) => e.actor === api.clientId)?.data).toEqual({ uses: 3, sessions: 1 });
    expect(JSON.stringify(unproven.items)).not.toContain(victim);

    // Control: the same uses, proven, are acted on (so the refusals here are the proof check's).
    expect(await acceptedOf(api.basic, { uses, proofs: { [sid]: victim } })).toBe(3);
    expect(await isLive(sid)).toBe(false);
  });

  it('an opaque access token proves its session too (found by its hash, active)', async () => {
    const opaque = await signedInToken('opaque');
    const sid = await sidOf(opaque);
    expect(await acceptedOf(api.basic, { uses: interleavedUses(sid), proofs: { [sid]: opaque } })).toBe(3);
    expect(await isLive(sid)).toBe(false);
  });

  it('a proof of another session does not prove the named one', async () => {
    const victimSid = await sidOf(await signedInToken());
    const own = await signedInToken();
    const uses = interleavedUses(victimSid);
    expect(await acceptedOf(api.basic, { uses, proofs: { [victimSid]: own } })).toBe(0);
    expect(await acceptedOf(api.basic, { uses, proofs: { [await sidOf(own)]: own } })).toBe(0);
    expect(await isLive(victimSid)).toBe(true);
  });

  it('a proof addressed to none of the reporter’s audiences proves nothing', async () => {
    const victim = await signedInToken();
    const sid = await sidOf(victim);
    const stranger = await t.createClient({
      permissions: ['revocations:stream'],
      audiences: ['https://other.example'],
    });
    expect(await acceptedOf(stranger.basic, { uses: interleavedUses(sid), proofs: { [sid]: victim } })).toBe(
      0,
    );
    expect(await isLive(sid)).toBe(true);
  });

  it('RFC 7009 §2 — a revoked access token proves nothing (its session still live)', async () => {
    const client = await createCodeClient(t, {
      scope: ['cookies:read'],
      audiences: [API],
      tokenFormat: 'jwt',
    });
    const victim = (await codeFlow(client)).access_token;
    const sid = await sidOf(victim);
    const revoked = await t.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ token: victim }),
    });
    expect(revoked.statusCode).toBe(200);
    expect(await isLive(sid)).toBe(true);
    expect(await acceptedOf(api.basic, { uses: interleavedUses(sid), proofs: { [sid]: victim } })).toBe(0);
    expect(await isLive(sid)).toBe(true);
  });

  it('RFC 9068 §4 — an expired access token proves nothing (its session still live)', async () => {
    // A Tessera of its own: its clock moves past the token's `exp` (10 minutes), not the session's (12 h).
    const own = await startTessera({ 'risk.enabled': true });
    try {
      await createUser(own);
      const reporter = await createApiServerClient(own);
      const client = await createCodeClient(own, {
        scope: ['cookies:read'],
        audiences: [API],
        tokenFormat: 'jwt',
      });
      const token = (await codeFlow(client, 'openid cookies:read', own)).access_token;
      const sid = decodeJwt(token).sid as string;
      own.clock.advance(601);
      const body = { uses: interleavedUses(sid), proofs: { [sid]: token } };
      expect(await acceptedOf(reporter.basic, body, own)).toBe(0);
      expect(await isLive(sid, own)).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('a malformed "proofs" is refused (400 invalid_request) and nothing in the batch is acted on', async () => {
    const victim = await signedInToken();
    const sid = await sidOf(victim);
    const report = { token: victim, action: 'refuse', factors: ['token_network'] };
    for (const proofs of [
      'x',
      [victim],
      null,
      { [sid]: 42 },
      { [sid]: victim, '': victim },
      { [sid]: 'a'.repeat(16_385) },
    ]) {
      const bad = await postBatch(api.basic, { reports: [report], uses: interleavedUses(sid), proofs });
      expect(bad.status, JSON.stringify(proofs).slice(0, 40)).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toBe('invalid_request');
    }
    expect(await isLive(sid)).toBe(true);
  });

  it('@tessera/verify sends, per session its uses name, one proof: the session’s most recent token', async () => {
    const batches: { uses: { sid: string; jti: string }[]; proofs: Record<string, string> }[] = [];
    const recording: typeof fetch = (input, init) => {
      if (String(input).endsWith('/risk/reports')) {
        batches.push(JSON.parse(String(init?.body)));
      }
      return fetch(input, init);
    };
    const verifier = await readyVerifier({ policy: () => 'allow', fetch: recording });
    const client = await createCodeClient(t, {
      scope: ['cookies:read'],
      audiences: [API],
      tokenFormat: 'jwt',
    });
    const first = await codeFlow(client, 'openid offline_access cookies:read');
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic, 'user-agent': CHROME },
      payload: form({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' }),
    });
    const second = refreshed.json<TokenResponse>().access_token;
    const sid = decodeJwt(first.access_token).sid as string;
    expect(decodeJwt(second).sid).toBe(sid);
    const bystander = await signedInToken();
    for (const token of [first.access_token, second, bystander, first.access_token, second]) {
      await verifier.verify(request(token, HOME));
    }
    await verifier.close();
    // Usually one batch; however the uses fall into batches, each proves exactly its own sessions,
    // each with the token of the session's last use in it.
    expect(batches.flatMap((batch) => batch.uses)).toHaveLength(5);
    for (const { uses, proofs } of batches) {
      const lastJti = new Map(uses.map((use) => [use.sid, use.jti]));
      expect(Object.keys(proofs).sort()).toEqual([...lastJti.keys()].sort());
      for (const [session, jti] of lastJti) {
        expect(decodeJwt(proofs[session] ?? '').jti).toBe(jti);
      }
    }
    expect(batches.at(-1)?.proofs[sid]).toBe(second);
    expect(batches.some((batch) => batch.proofs[decodeJwt(bystander).sid as string] === bystander)).toBe(
      true,
    );
  });
});

describe('@tessera/verify sends a batch Tessera could not take again', () => {
  it('RFC 9110 §15.6.4 — a batch answered 503 is kept and sent again unchanged; Tessera then acts on its uses', async () => {
    const bodies: string[] = [];
    const flaky: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/risk/reports')) {
        bodies.push(String(init?.body));
        if (bodies.length === 1) {
          return new Response('{"error":"temporarily_unavailable"}', { status: 503 });
        }
      }
      return fetch(input, init);
    };
    const reporting = await readyVerifier({ policy: () => 'allow', fetch: flaky });
    const token = await signedInToken();
    const sid = decodeJwt(token).sid as string;
    for (const ip of [HOME, ELSEWHERE, HOME]) {
      await reporting.verify(request(token, ip));
    }
    await waitFor(() => t.store.findSession(sid), {
      what: 'the session to end once the batch answered 503 was sent again',
      until: (session) => session === undefined,
    });
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(JSON.parse(bodies[0] as string).uses).toHaveLength(3);
  });
});

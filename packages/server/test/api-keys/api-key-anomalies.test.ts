/**
 * API-key anomalies end to end (docs/api-keys.md, "Anomalies"; issue "Risk engine" item 3): the
 * resource server sends `client_ip` and `endpoint` with a verification; a key's usage profile
 * learns first, then a new ASN, a new country, a new endpoint or a rate beyond its own is an
 * anomaly, and the key's `anomaly_policy` flags, alerts, denies or disables. Normal use from the
 * key's own networks and endpoints stays quiet, and bad parameters change nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { writeMmdb } from '../support/mmdb.js';
import { waitFor } from '../support/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-key-anomalies-'));
const GEO = join(dir, 'city.mmdb');
const ASN = join(dir, 'asn.mmdb');
writeFileSync(
  GEO,
  writeMmdb({
    '203.0.113.0/24': { country_code: 'DE' },
    '203.0.114.0/24': { country_code: 'DE' },
    '192.0.2.0/24': { country_code: 'DE' },
    '198.51.100.0/24': { country_code: 'BR' },
  }),
);
writeFileSync(
  ASN,
  writeMmdb({
    '203.0.113.0/24': { autonomous_system_number: 64500 },
    '203.0.114.0/24': { autonomous_system_number: 64500 },
    '192.0.2.0/24': { autonomous_system_number: 64502 },
    '198.51.100.0/24': { autonomous_system_number: 64501 },
  }),
);

/** The key's home: two addresses on one network (AS64500, DE), two endpoints. */
const HOME = { client_ip: '203.0.113.7', endpoint: 'GET /orders/:id' };
const HOME_OTHER_HOST = { client_ip: '203.0.114.20', endpoint: 'POST /orders' };
/** Same country, another network. */
const OTHER_ASN = { client_ip: '192.0.2.9', endpoint: 'GET /orders/:id' };
/** Another network in another country. */
const ABROAD = { client_ip: '198.51.100.7', endpoint: 'GET /orders/:id' };

let t: TestServer;
let owner: TestClient;
let verifier: TestClient;

beforeAll(async () => {
  t = await bootstrap({
    'risk.geoDatabase': GEO,
    'risk.asnDatabase': ASN,
    'apiKeys.anomalyLearningUses': 20,
    'apiKeys.anomalyLearningPeriod': '1h',
    'apiKeys.usageFlushInterval': '1s',
  });
  owner = await createTestClient(t);
  verifier = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
});
afterAll(() => t.close());

function admin(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/admin${url}`,
    headers: t.adminHeaders,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function createKey(body: Record<string, unknown> = {}): Promise<{ key: string; id: string }> {
  const response = await admin('POST', '/api-keys', { name: 'orders', owner: owner.id, ...body });
  expect(response.statusCode, response.body).toBe(201);
  return { key: response.json().key, id: response.json().id };
}

function verify(key: string, context: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api-keys/verify',
    headers: { ...FORM, authorization: verifier.basic },
    payload: form({ key, ...context }),
  });
}

/** 70 uses a minute apart from home, on both endpoints: past 20 uses and an hour of learning. */
async function learn(key: string): Promise<void> {
  for (let i = 0; i < 70; i += 1) {
    const answer = (await verify(key, i % 2 === 0 ? HOME : HOME_OTHER_HOST)).json();
    expect(answer.valid, JSON.stringify(answer)).toBe(true);
    expect(answer.anomalies).toBeUndefined();
    t.clock.advance(60);
  }
}

async function anomalyEvents(id: string) {
  await t.audit.flush();
  return (await t.store.listAudit({ limit: 500 })).items.filter(
    (event) => event.subject === id && event.type === 'api_key.anomaly',
  );
}

/**
 * The anomaly audit goes out with each usage batch (apiKeys.usageFlushInterval, 1 s here): once the
 * key's `usage_count` shows `uses`, every anomaly of those uses has been audited.
 */
async function eventsAfterBatch(id: string, uses: number) {
  await waitFor(async () => (await admin('GET', `/api-keys/${id}`)).json(), {
    what: `usage_count ${uses} written`,
    intervalMs: 100,
    until: (view) => view.usage_count >= uses,
  });
  return anomalyEvents(id);
}

function eventsWhen(id: string, until: (events: Awaited<ReturnType<typeof anomalyEvents>>) => boolean) {
  return waitFor(() => anomalyEvents(id), { what: 'the anomaly audit', until });
}

/** Anomalies reach the store with the next usage batch (apiKeys.usageFlushInterval, 1 s here). */
function viewOnceRecorded(id: string) {
  return waitFor(async () => (await admin('GET', `/api-keys/${id}`)).json(), {
    what: 'the anomaly recorded on the key',
    // Gently: the admin API rate-limits a caller that polls it hard.
    intervalMs: 100,
    until: (view) => view.anomalies.length > 0,
  });
}

describe('learning, then judging', () => {
  it('normal use from the key’s own network and endpoints is not anomalous (false-positive guard)', async () => {
    const { key, id } = await createKey();
    await learn(key);
    // Hosts the key was never used from, on its own network and in its own country.
    const newHosts = [
      { ...HOME, client_ip: '203.0.113.200' },
      { ...HOME_OTHER_HOST, client_ip: '203.0.114.77' },
    ];
    for (const context of [HOME, HOME_OTHER_HOST, ...newHosts, {}, { endpoint: 'POST /orders' }]) {
      const answer = (await verify(key, context)).json();
      expect(answer).toMatchObject({ valid: true, key_id: id });
      expect(answer.anomalies).toBeUndefined();
      t.clock.advance(60);
    }
    expect(await eventsAfterBatch(id, 76)).toEqual([]);
  });

  it('nothing is anomalous while the key learns (new network, country, endpoint, a burst)', async () => {
    const { key, id } = await createKey({ anomaly_policy: 'deny' });
    for (let i = 0; i < 10; i += 1) {
      expect((await verify(key, HOME)).json().valid).toBe(true);
      t.clock.advance(60);
    }
    expect((await verify(key, ABROAD)).json()).toMatchObject({ valid: true });
    expect((await verify(key, { ...HOME, endpoint: 'DELETE /orders/:id' })).json().valid).toBe(true);
    for (let i = 0; i < 40; i += 1) {
      expect((await verify(key, HOME)).json().valid).toBe(true);
    }
    expect(await eventsAfterBatch(id, 52)).toEqual([]);
  });
});

describe('policies through POST /api-keys/verify', () => {
  it('flag (the default): new_asn and new_country are audited, the verification stands', async () => {
    const { key, id } = await createKey();
    expect((await admin('GET', `/api-keys/${id}`)).json().anomaly_policy).toBe('flag');
    await learn(key);
    expect((await verify(key, OTHER_ASN)).json()).toMatchObject({ valid: true, anomalies: ['new_asn'] });
    expect((await verify(key, ABROAD)).json()).toMatchObject({
      valid: true,
      anomalies: ['new_asn', 'new_country'],
    });
    const { value: events } = await eventsWhen(id, (found) => found.length >= 3);
    expect(events.map((event) => [event.data.kind, event.data.value]).sort()).toEqual([
      ['new_asn', '64501'],
      ['new_asn', '64502'],
      ['new_country', 'BR'],
    ]);
    expect(events[0]?.data).toMatchObject({ owner: owner.id, policy: 'flag', action: 'flagged', count: 1 });
    expect(events[0]?.actor).toBe(verifier.id);
    // Flagged only: nothing recorded for the owner.
    expect((await admin('GET', `/api-keys/${id}`)).json()).toMatchObject({
      anomalies: [],
      open_anomalies: 0,
    });
  });

  it('alert: a new endpoint is an open alert in the admin API until acknowledged', async () => {
    const { key, id } = await createKey({ anomaly_policy: 'alert' });
    await learn(key);
    const answer = (await verify(key, { ...HOME, endpoint: 'DELETE /orders/:id' })).json();
    expect(answer).toMatchObject({ valid: true, anomalies: ['new_endpoint'] });
    const { value: view } = await viewOnceRecorded(id);
    expect(view).toMatchObject({
      anomaly_policy: 'alert',
      status: 'active',
      open_anomalies: 1,
      anomalies: [{ kind: 'new_endpoint', value: 'DELETE /orders/:id', action: 'alerted', open: true }],
    });
    const open = (await admin('GET', `/api-keys?owner=${owner.id}&anomalous=true`)).json();
    expect(open.items.map((item: { id: string }) => item.id)).toEqual([id]);
    const acknowledged = await admin('POST', `/api-keys/${id}/acknowledge-anomalies`);
    expect(acknowledged.statusCode).toBe(200);
    expect(acknowledged.json()).toMatchObject({ open_anomalies: 0, anomalies: [{ open: false }] });
    const after = (await admin('GET', `/api-keys?owner=${owner.id}&anomalous=true`)).json();
    expect(after.items).toEqual([]);
    // Let through under alert, so learned: the same endpoint again is no anomaly.
    expect((await verify(key, { ...HOME, endpoint: 'DELETE /orders/:id' })).json().anomalies).toBeUndefined();
  });

  it('deny: the anomalous request is refused with the reason, the key stays enabled, and what was refused stays new', async () => {
    const { key, id } = await createKey({ anomaly_policy: 'deny' });
    await learn(key);
    const refused = await verify(key, ABROAD);
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toEqual({
      valid: false,
      code: 'anomaly',
      key_id: id,
      owner: owner.id,
      anomalies: ['new_asn', 'new_country'],
    });
    expect((await verify(key, HOME)).json().valid).toBe(true);
    expect((await verify(key, ABROAD)).json()).toMatchObject({ valid: false, code: 'anomaly' });
    expect((await admin('GET', `/api-keys/${id}`)).json().status).toBe('active');
    const denied = (events: Awaited<ReturnType<typeof anomalyEvents>>) =>
      events
        .filter((event) => event.data.kind === 'new_country' && event.data.action === 'denied')
        .reduce((sum, event) => sum + Number(event.data.count), 0);
    const { value: events } = await eventsWhen(id, (found) => denied(found) >= 2);
    expect(denied(events)).toBe(2);
  });

  it('disable: a burst far beyond the key’s own rate disables it at once, audited naming the owner; refused until enabled', async () => {
    const { key, id } = await createKey({ anomaly_policy: 'disable' });
    await learn(key);
    const since = await t.store.latestRevocationId();
    let answer: Record<string, unknown> = {};
    for (let i = 0; i < 60 && answer.valid !== false; i += 1) {
      answer = (await verify(key, HOME)).json();
    }
    expect(answer).toEqual({
      valid: false,
      code: 'disabled',
      key_id: id,
      owner: owner.id,
      anomalies: ['rate'],
    });
    // Streamed before the answer, so verifiers that cached the key forget it (docs/verify.md).
    expect((await t.store.listRevocationsSince(since, 10)).map((event) => event.target)).toEqual([
      { type: 'api_key_changed', value: id },
    ]);
    expect((await verify(key, HOME)).json()).toEqual({
      valid: false,
      code: 'disabled',
      key_id: id,
      owner: owner.id,
    });
    const { value: view } = await viewOnceRecorded(id);
    expect(view).toMatchObject({
      status: 'disabled',
      open_anomalies: 1,
      anomalies: [{ kind: 'rate', action: 'disabled' }],
    });
    await t.audit.flush();
    const disabled = (await t.store.listAudit({ limit: 500 })).items.find(
      (event) => event.subject === id && event.type === 'api_key.auto_disabled',
    );
    expect(disabled?.data).toMatchObject({ owner: owner.id, anomalies: ['rate'] });
    expect(
      (await admin('GET', `/api-keys?anomalous=true&limit=100`))
        .json()
        .items.map((k: { id: string }) => k.id),
    ).toContain(id);
    expect((await admin('POST', `/api-keys/${id}/enable`)).statusCode).toBe(200);
    t.clock.advance(600);
    expect((await verify(key, HOME)).json().valid).toBe(true);
  });

  it('off: nothing is judged', async () => {
    const { key, id } = await createKey({ anomaly_policy: 'off' });
    await learn(key);
    expect((await verify(key, ABROAD)).json()).toMatchObject({ valid: true });
    expect((await verify(key, ABROAD)).json().anomalies).toBeUndefined();
    expect(await eventsAfterBatch(id, 72)).toEqual([]);
  });

  it('introspection takes client_ip and endpoint too: a denied use is inactive', async () => {
    const { key } = await createKey({ anomaly_policy: 'deny' });
    await learn(key);
    const introspect = (context: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/introspect',
        headers: { ...FORM, authorization: verifier.basic },
        payload: form({ token: key, ...context }),
      });
    expect((await introspect(HOME)).json()).toMatchObject({ active: true, token_type: 'api_key' });
    expect((await introspect(ABROAD)).json()).toEqual({ active: false });
  });
});

describe('restart (file SQLite)', () => {
  it('the learned profile is written with the usage batch and judged at once after a restart; apiKeys.anomalyPolicy is the default', async () => {
    const url = `sqlite:${join(dir, 'restart.db')}`;
    const config = {
      'database.url': url,
      'risk.geoDatabase': GEO,
      'risk.asnDatabase': ASN,
      'apiKeys.anomalyLearningUses': 20,
      'apiKeys.anomalyLearningPeriod': '1h',
      'apiKeys.anomalyPolicy': 'alert',
    };
    const shared = { t, owner, verifier };
    try {
      t = await bootstrap(config);
      owner = await createTestClient(t);
      verifier = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
      // apiKeys.anomalyPolicy is the default of a key created without one.
      expect((await admin('POST', '/api-keys', { name: 'd', owner: owner.id })).json().anomaly_policy).toBe(
        'alert',
      );
      const { key } = await createKey({ anomaly_policy: 'deny' });
      await learn(key);
      const stoppedAt = t.clock.now();
      // Graceful shutdown writes the last usage batch, profiles included.
      await t.close();
      t = await bootstrap(config, { startSeconds: stoppedAt });
      expect((await verify(key, ABROAD)).json()).toMatchObject({ valid: false, code: 'anomaly' });
      expect((await verify(key, HOME)).json()).toMatchObject({ valid: true });
      await t.close();
    } finally {
      ({ t, owner, verifier } = shared);
    }
  });
});

describe('the policy is set at creation and changed with PATCH', () => {
  it('PATCH anomaly_policy; an unknown policy is 400 and changes nothing', async () => {
    const { id } = await createKey();
    const patched = await admin('PATCH', `/api-keys/${id}`, { anomaly_policy: 'deny' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().anomaly_policy).toBe('deny');
    const bad = await admin('PATCH', `/api-keys/${id}`, { anomaly_policy: 'panic' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
    expect((await admin('GET', `/api-keys/${id}`)).json().anomaly_policy).toBe('deny');
    expect(
      (await admin('POST', '/api-keys', { name: 'x', owner: owner.id, anomaly_policy: 'x' })).statusCode,
    ).toBe(400);
  });
});

describe('admin API errors', () => {
  it('acknowledge: unknown key 404, revoked key 409; anomalous=maybe 400', async () => {
    expect((await admin('POST', '/api-keys/key_nope/acknowledge-anomalies')).statusCode).toBe(404);
    const { id } = await createKey();
    await admin('POST', `/api-keys/${id}/revoke`);
    expect((await admin('POST', `/api-keys/${id}/acknowledge-anomalies`)).statusCode).toBe(409);
    const bad = await admin('GET', '/api-keys?anomalous=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
  });
});

describe('bad client_ip or endpoint', () => {
  it('400 invalid_request, and nothing changes: no rate-limit count, no usage, no learning', async () => {
    const { key, id } = await createKey({ rate_limit: '3/1h', anomaly_policy: 'deny' });
    const bad = [
      { ...HOME, client_ip: 'not-an-address' },
      { ...HOME, client_ip: '203.0.113.7/24' },
      { ...HOME, endpoint: 'orders' },
      { ...HOME, endpoint: 'GET orders' },
      { ...HOME, endpoint: `GET /${'a'.repeat(300)}` },
      { ...HOME, endpoint: 'GET /orders/:id\nX: y' },
    ];
    for (const context of bad) {
      const response = await verify(key, context);
      expect(response.statusCode, JSON.stringify(context)).toBe(400);
      expect(response.json().error).toBe('invalid_request');
    }
    const json = await t.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: verifier.basic },
      payload: { key, client_ip: 203, endpoint: 'GET /x' },
    });
    expect(json.statusCode).toBe(400);
    const ok = (await verify(key, HOME)).json();
    expect(ok).toMatchObject({ valid: true, rate_limit: { limit: 3, remaining: 2 } });
    await waitFor(async () => (await admin('GET', `/api-keys/${id}`)).json(), {
      what: 'the usage written',
      intervalMs: 100,
      until: (view) => view.usage_count === 1,
    });
  });
});

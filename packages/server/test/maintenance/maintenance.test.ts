/**
 * The maintenance job (issue 11 item 9): one job, wired by main.ts with its own timer, deletes dead
 * rows from every table that would otherwise grow forever, reports rows purged per table at
 * /metrics, keeps everything still needed, and honours `audit.retention` (0 keeps audit forever).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  newAccessToken,
  newCode,
  newRefreshToken,
  newSession,
  newUser,
} from '../../src/store/contract/fixtures.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient } from '../support/clients.js';
import { waitFor } from '../support/wait-for.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const DAY = 86_400;

/** Seeds one dead and one live row per table, relative to the server's clock. */
async function seed(server: TestServer) {
  const now = server.clock.now();
  const { store } = server;
  const client = (await createTestClient(server)).id;
  const user = (await store.createUser(newUser(), now)).id;
  const token = {
    dead: newAccessToken(client, { issuedAt: now - 700, expiresAt: now - 1 }),
    live: newAccessToken(client, { issuedAt: now, expiresAt: now + 600 }),
  };
  await store.insertAccessToken(token.dead);
  await store.insertAccessToken(token.live);
  const revocation = {
    dead: await store.addRevocation({ type: 'jti', value: 'dead-jti' }, now - 700, now - 1),
    live: await store.addRevocation({ type: 'jti', value: 'live-jti' }, now, now + 600),
  };
  await store.markOnce('dead-assertion', now - 1, now - 60);
  await store.markOnce('live-assertion', now + 60, now);
  const code = {
    dead: newCode(client, user, { issuedAt: now - 120, expiresAt: now - 1 }),
    live: newCode(client, user, { issuedAt: now, expiresAt: now + 60 }),
  };
  await store.insertAuthorizationCode(code.dead);
  await store.insertAuthorizationCode(code.live);
  const session = {
    dead: newSession(user, { expiresAt: now - 1 }),
    live: newSession(user, { expiresAt: now + 3600 }),
  };
  await store.createSession(session.dead);
  await store.createSession(session.live);
  const refresh = {
    dead: newRefreshToken(client, user, { expiresAt: now - 1, familyExpiresAt: now + DAY }),
    live: newRefreshToken(client, user, { expiresAt: now + DAY, familyExpiresAt: now + 30 * DAY }),
  };
  await store.insertRefreshToken(refresh.dead);
  await store.insertRefreshToken(refresh.live);
  await store.appendAudit({
    type: 'probe.old',
    actor: 'system',
    subject: null,
    data: {},
    at: now - 91 * DAY,
    requestId: null,
  });
  await store.appendAudit({
    type: 'probe.recent',
    actor: 'system',
    subject: null,
    data: {},
    at: now - 89 * DAY,
    requestId: null,
  });
  return { now, token, revocation, code, session, refresh };
}

describe('maintenance job', () => {
  it('issue 11 item 9 — purges dead rows of every table and keeps every live one', async () => {
    t = await bootstrap({ 'maintenance.interval': 0 });
    const s = await seed(t);
    const { store } = t;

    const purged = await t.maintenance.run();
    expect(purged).toMatchObject({
      access_tokens: 1,
      revocations: 1,
      replay_keys: 1,
      authorization_codes: 1,
      sessions: 1,
      refresh_tokens: 1,
      audit_events: 1,
    });

    expect(await store.findAccessToken(s.token.dead.hash)).toBeUndefined();
    expect(await store.findAccessToken(s.token.live.hash)).toEqual(s.token.live);
    const revocations = (await store.listRevocationsSince(0, 1000)).map((event) => event.id);
    expect(revocations).not.toContain(s.revocation.dead.id);
    expect(revocations).toContain(s.revocation.live.id);
    // The live mark still refuses a replay; the dead one is gone (a new mark of it succeeds).
    expect(await store.markOnce('live-assertion', s.now + 60, s.now)).toBe(false);
    expect(await store.markOnce('dead-assertion', s.now + 60, s.now - 60)).toBe(true);
    expect(
      (await store.consumeAuthorizationCode(s.code.dead.hash, s.code.dead.clientId, s.now - 60)).status,
    ).toBe('not_found');
    expect((await store.consumeAuthorizationCode(s.code.live.hash, s.code.live.clientId, s.now)).status).toBe(
      'consumed',
    );
    expect(await store.findSession(s.session.dead.id)).toBeUndefined();
    expect(await store.findSession(s.session.live.id)).toEqual(s.session.live);
    expect(await store.findRefreshToken(s.refresh.dead.hash)).toBeUndefined();
    expect(await store.findRefreshToken(s.refresh.live.hash)).toEqual(s.refresh.live);
    expect((await store.listAudit({ type: 'probe.old' })).items).toHaveLength(0);
    expect((await store.listAudit({ type: 'probe.recent' })).items).toHaveLength(1);

    // A second pass finds nothing more to do.
    expect(Object.values(await t.maintenance.run()).every((rows) => rows === 0)).toBe(true);

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tessera_maintenance_purged_rows_total\{table="access_tokens"\} 1$/m);
    expect(metrics).toMatch(/^tessera_maintenance_purged_rows_total\{table="revocations"\} 1$/m);
    expect(metrics).toMatch(/^tessera_maintenance_purged_rows_total\{table="audit_events"\} 1$/m);
  });

  it('issue 11 item 9 — audit.retention 0 keeps audit events forever', async () => {
    t = await bootstrap({ 'maintenance.interval': 0, 'audit.retention': 0 });
    await seed(t);
    expect((await t.maintenance.run()).audit_events).toBe(0);
    expect((await t.store.listAudit({ type: 'probe.old' })).items).toHaveLength(1);
  });

  it('usage counters (the console charts) older than 8 days are purged; the last week stays', async () => {
    t = await bootstrap({ 'maintenance.interval': 0 });
    const now = t.clock.now();
    const minute = now - (now % 60);
    await t.store.addStatCounts([
      { bucket: minute - 8 * DAY - 60, name: 'tokens_issued', label: 'old', count: 1 },
      { bucket: minute - 7 * DAY, name: 'tokens_issued', label: 'week', count: 1 },
    ]);
    expect((await t.maintenance.run()).stat_counts).toBe(1);
    const left = await t.store.listStatCounts({ since: 0, until: now + 60, bucketSeconds: 60 });
    expect(left.map((row) => row.label)).toEqual(['week']);
  });

  it('risk velocity sums past their retention are purged (hour: a day, day: 14 days); the rest stays', async () => {
    t = await bootstrap({ 'maintenance.interval': 0, 'maintenance.batchSize': 1 });
    const now = t.clock.now();
    await t.store.addRiskGlobals({ 'h1:v:ipa:old': 1, 'h24:v:asna:old': 1, 'c:signIns': 1 }, now - 15 * DAY);
    await t.store.addRiskGlobals({ 'h1:v:ipa:yesterday': 1, 'h24:v:asna:week': 1 }, now - DAY - 60);
    await t.store.addRiskGlobals({ 'h1:v:ipa:now': 1 }, now - 60);
    expect((await t.maintenance.run()).risk_global).toBe(3);
    expect(Object.keys(await t.store.listRiskGlobals()).sort()).toEqual([
      'c:signIns',
      'h1:v:ipa:now',
      'h24:v:asna:week',
    ]);
  });

  it('SSF SETs never acknowledged are purged once ssf.retention has passed; newer ones stay', async () => {
    t = await bootstrap({ 'maintenance.interval': 0, 'ssf.retention': '1h' });
    const now = t.clock.now();
    const client = await createTestClient(t, { permissions: ['ssf:receive'] });
    const stream = await t.store.ensureSsfStream(client.id, 'ssf_maintenance', now);
    const set = (jti: string, createdAt: number) => ({
      streamId: stream.id,
      jti,
      payload: '{}',
      createdAt,
      expiresAt: createdAt + 3600,
    });
    await t.store.queueSets([set('old', now - 3601), set('new', now - 60)]);
    expect((await t.maintenance.run()).ssf_sets).toBe(1);
    expect((await t.store.pendingSets(stream.id, 0, 10)).sets.map((s) => s.jti)).toEqual(['new']);
  });

  it('a session’s token-use state is purged once its session is gone or past its absolute lifetime; a live one stays', async () => {
    t = await bootstrap({ 'maintenance.interval': 0 });
    const now = t.clock.now();
    const user = (await t.store.createUser(newUser(), now)).id;
    const live = newSession(user, { expiresAt: now + 3600 });
    const ended = newSession(user, { expiresAt: now + 3600 });
    await t.store.createSession(live);
    await t.store.createSession(ended);
    const usage = (sid: string, expiresAt: number) => ({
      sid,
      state: '{}',
      applied: '[]',
      expiresAt,
      updatedAt: now,
    });
    await t.store.writeSessionUsage(usage(live.id, now + 3600), 0);
    await t.store.writeSessionUsage(usage(ended.id, now + 3600), 0);
    await t.store.deleteSessions({ id: ended.id });
    expect((await t.maintenance.run()).session_usage).toBe(1);
    expect((await t.store.findSessionUsage([live.id, ended.id])).map((r) => r.sid)).toEqual([live.id]);
  });

  it('issue 11 item 9 — the job runs on its own timer (maintenance.interval)', async () => {
    const server = await bootstrap({ 'maintenance.interval': '1s', 'maintenance.batchSize': 1 });
    t = server;
    const s = await seed(server);
    // Wait for the event, bounded only to catch a hang.
    await waitFor(async () => (await server.store.findAccessToken(s.token.dead.hash)) === undefined, {
      what: 'the timer-driven purge',
      intervalMs: 50,
    });
    expect(await t.store.findAccessToken(s.token.dead.hash)).toBeUndefined();
    expect(await t.store.findAccessToken(s.token.live.hash)).toEqual(s.token.live);
  });
});

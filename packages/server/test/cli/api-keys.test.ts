/**
 * `tessera api-keys …` end to end: the CLI runs in-process against the app listening on 127.0.0.1,
 * through the admin API, as an operator would use it (issue 4 §1, §3).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../src/cli/admin-client.js';
import { runCli } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';
import { dpopKey, dpopProof } from '../support/dpop.js';

/** SHA-256 computed here, not with the code under test (DESIGN §3: secrets stored only as SHA-256). */
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

describe('tessera api-keys', () => {
  let t: TestServer;
  let url: string;
  let owner: TestClient;
  let verifier: TestClient;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    owner = await createTestClient(t);
    verifier = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
  });
  afterAll(() => t.close());

  function run(...args: string[]): Promise<string> {
    return runCli(url, t.adminToken, ...args);
  }

  async function runJson(...args: string[]): Promise<Record<string, unknown>> {
    const parsed: unknown = JSON.parse(await run(...args, '--json'));
    expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
    return parsed as Record<string, unknown>;
  }

  async function verify(key: string, extra: Record<string, string> = {}) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: verifier.basic },
      payload: { key, ...extra },
    });
    return response.json();
  }

  it('create --json prints one object with the key; the store keeps only its SHA-256', async () => {
    const created = await runJson(
      'api-keys',
      'create',
      '--name',
      'CI',
      '--owner',
      owner.id,
      '--scope',
      'read write',
      '--audience',
      'https://api.example.com',
      '--expires-in',
      '30d',
      '--rate-limit',
      '100/1m',
      '--sliding',
      '--meta',
      'team=billing',
      '--meta',
      'env=ci',
    );
    expect(created).toMatchObject({
      name: 'CI',
      owner: owner.id,
      scope: 'read write',
      audiences: ['https://api.example.com'],
      meta: { team: 'billing', env: 'ci' },
      rate_limit: { limit: 100, window: 60, kind: 'sliding' },
      expires_at: t.clock.now() + 30 * 86_400,
    });
    const key = String(created.key);
    const stored = await t.store.findApiKey(String(created.id));
    expect(stored?.hash).toBe(sha256(key));
    expect((await verify(key)).valid).toBe(true);
  });

  it('RFC 9449 — create --bind-jkt binds the key to a DPoP key; /api-keys/verify wants its proof and reports cnf.jkt', async () => {
    const dpop = await dpopKey('ES256');
    const jkt = dpop.jkt;
    const created = await runJson(
      'api-keys',
      'create',
      '--name',
      'bound',
      '--owner',
      owner.id,
      '--bind-jkt',
      jkt,
    );
    expect(created.dpop_jkt).toBe(jkt);
    expect((await t.store.findApiKey(String(created.id)))?.dpopJkt).toBe(jkt);
    const key = String(created.key);
    expect(await verify(key)).toMatchObject({ error: 'invalid_dpop_proof' });
    const htu = 'https://api.example.com/x';
    const proof = await dpopProof(dpop, { htm: 'GET', htu, accessToken: key, iat: t.clock.now() });
    expect(await verify(key, { dpop: proof, htm: 'GET', htu })).toMatchObject({ valid: true, cnf: { jkt } });
  });

  it('--anomaly-policy at create and update; list --anomalous; acknowledge-anomalies (docs/api-keys.md, "Anomalies")', async () => {
    const created = await runJson(
      'api-keys',
      'create',
      '--name',
      'A',
      '--owner',
      owner.id,
      '--anomaly-policy',
      'deny',
    );
    expect(created.anomaly_policy).toBe('deny');
    const id = String(created.id);
    expect((await runJson('api-keys', 'update', id, '--anomaly-policy', 'alert')).anomaly_policy).toBe(
      'alert',
    );
    expect(await run('api-keys', 'show', id)).toMatch(/anomaly_policy\s+alert/);
    await expect(run('api-keys', 'update', id, '--anomaly-policy', 'panic')).rejects.toBeInstanceOf(
      AdminApiError,
    );
    await t.store.touchApiKeys([
      {
        id,
        lastUsedAt: 0,
        count: 0,
        anomalies: [{ at: t.clock.now(), kind: 'new_country', value: 'BR', action: 'alerted' }],
      },
    ]);
    expect(await run('api-keys', 'list', '--anomalous')).toContain(`${id} `);
    expect(await run('api-keys', 'show', id)).toMatch(/anomaly \(open\)\s+\S+ new_country BR \(alerted\)/);
    expect(await run('api-keys', 'acknowledge-anomalies', id)).toContain('Acknowledged the anomalies of');
    expect(await run('api-keys', 'list', '--anomalous')).not.toContain(`${id} `);
  });

  it('create prints the key once with a warning; list and show never print it', async () => {
    const out = await run('api-keys', 'create', '--name', 'Human', '--owner', owner.id, '--scope', 'read');
    const key = /key\s+(tsr_key_\S+)/.exec(out)?.[1] ?? '';
    expect(key).toMatch(/^tsr_key_/);
    expect(out).toContain('will not be shown again');
    const id = /Created API key (key_\S+)/.exec(out)?.[1] ?? '';
    const list = await run('api-keys', 'list', '--owner', owner.id);
    expect(list).toContain(id);
    expect(list).not.toContain(key);
    const show = await run('api-keys', 'show', id);
    expect(show).toContain('tsr_key_');
    expect(show).not.toContain(key);
    expect(show).toMatch(/status\s+active/);
  });

  it('update, disable, enable, rotate and revoke through the admin API', async () => {
    const created = await runJson(
      'api-keys',
      'create',
      '--name',
      'L',
      '--owner',
      owner.id,
      '--scope',
      'read',
    );
    const key = String(created.key);
    const id = String(created.id);

    const updated = await runJson(
      'api-keys',
      'update',
      id,
      '--scope',
      'read write',
      '--rate-limit',
      '5/1s',
      '--meta',
      'a=b',
    );
    expect(updated).toMatchObject({
      scope: 'read write',
      rate_limit: { limit: 5, window: 1, kind: 'fixed' },
      meta: { a: 'b' },
    });
    expect((await verify(key)).scope).toBe('read write');
    expect((await runJson('api-keys', 'update', id, '--no-rate-limit')).rate_limit).toBeNull();

    expect((await runJson('api-keys', 'disable', id)).status).toBe('disabled');
    expect((await verify(key)).code).toBe('disabled');
    expect(await run('api-keys', 'enable', id)).toContain('Enabled API key');
    expect((await verify(key)).valid).toBe(true);

    const rotated = await runJson('api-keys', 'rotate', id, '--grace', '0');
    expect(rotated.key).toMatch(/^tsr_key_/);
    expect((rotated.previous as { status: string }).status).toBe('revoked');
    expect((await verify(key)).code).toBe('revoked');
    const next = String(rotated.key);
    expect((await verify(next)).valid).toBe(true);

    const out = await run('api-keys', 'rotate', String(rotated.id));
    expect(out).toContain('The old key keeps working until');
    expect(await run('api-keys', 'revoke', String(rotated.id))).toContain('Revoked API key');
    expect((await verify(next)).code).toBe('revoked');
  });

  it('a server refusal surfaces as an AdminApiError naming the code', async () => {
    await expect(run('api-keys', 'create', '--name', 'x', '--owner', 'cli_missing')).rejects.toThrow(
      AdminApiError,
    );
    await expect(run('api-keys', 'show', 'key_missing')).rejects.toThrow(/not_found/);
    await expect(
      run('api-keys', 'create', '--name', 'x', '--owner', owner.id, '--rate-limit', 'lots'),
    ).rejects.toThrow(/--rate-limit expects/);
    await expect(run('api-keys', 'update', 'key_x')).rejects.toThrow(/Nothing to update/);
  });
});

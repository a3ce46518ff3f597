/**
 * `tessera clients create --grant-types urn:ietf:params:oauth:grant-type:device_code,refresh_token
 * --public` through the admin API, then that client runs the device flow (RFC 8628 §3.1: public
 * clients authenticate with client_id only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { Browser, createUser } from '../support/login.js';
import { DEVICE_GRANT, poll, startDevice, verifyInBrowser } from './device-support.js';

describe('tessera clients create for the device grant', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    await createUser(t);
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('RFC 8628 §3.1 — a public device client with refresh_token is accepted and completes the flow', async () => {
    const out = await runCli(
      url,
      t.adminToken,
      'clients',
      'create',
      '--name',
      'oidc-agent',
      '--grant-types',
      `${DEVICE_GRANT},refresh_token`,
      '--public',
      '--scope',
      'openid offline_access profile',
      '--json',
    );
    const created = JSON.parse(out) as { client_id: string; grant_types: string[]; secrets: unknown[] };
    expect(created).toMatchObject({
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      token_endpoint_auth_method: 'none',
      secrets: [],
    });
    const record = await t.store.findClient(created.client_id);
    if (record === undefined) {
      throw new Error('client not stored');
    }
    const client = { client: record, id: record.id, secret: '', basic: '' };
    const started = await startDevice(t, client, { scope: 'openid offline_access' });
    await verifyInBrowser(new Browser(t), started.user_code);
    const tokens = await poll(t, client, started.device_code);
    expect(tokens.statusCode).toBe(200);
    expect(tokens.json().refresh_token).toMatch(/^tsr_rt_/);
  });

  it('refresh_token alone (no grant for people) is still refused', async () => {
    await expect(
      runCli(
        url,
        t.adminToken,
        'clients',
        'create',
        '--name',
        'x',
        '--grant-types',
        'refresh_token',
        '--public',
      ),
    ).rejects.toMatchObject({ status: 400 });
  });
});

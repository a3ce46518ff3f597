/**
 * `tessera clients …` end to end: the CLI runs in-process (`buildCli().parseAsync`) against the
 * app listening on 127.0.0.1, through the admin API, as an operator would use it.
 */
import { createHash } from 'node:crypto';
import { parseSecret } from '@tessera/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../src/cli/admin-client.js';
import { hashSecret } from '../../src/ids.js';
import { runCli } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

/** SHA-256 computed here, not with the code under test (DESIGN §3: secrets stored only as SHA-256). */
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

describe('tessera clients', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Runs `tessera --url URL --admin-token-file F …args` and returns what it printed on stdout. */
  function run(...args: string[]): Promise<string> {
    return runCli(url, t.adminToken, ...args);
  }

  async function runJson(...args: string[]): Promise<Record<string, unknown>> {
    const out = await run(...args, '--json');
    // Exactly one JSON object, nothing else on stdout.
    const parsed: unknown = JSON.parse(out);
    expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
    return parsed as Record<string, unknown>;
  }

  it('create --json prints one object with client_id and client_secret; the secret is stored as its SHA-256', async () => {
    const created = await runJson(
      'clients',
      'create',
      '--name',
      'Billing',
      '--grant-types',
      'client_credentials',
      '--scope',
      'read write',
      '--default-scope',
      'read',
      '--audience',
      'https://api.example.com',
      '--audience',
      'https://billing.example.com',
      '--token-format',
      'opaque',
      '--access-token-ttl',
      '10m',
      '--permission',
      'introspect',
      '--meta',
      'tenant=acme',
      '--meta',
      'plan=gold',
    );
    const id = created.client_id as string;
    const secret = created.client_secret as string;
    expect(parseSecret(secret, 'cs')).toBeDefined();
    expect(created).toMatchObject({
      name: 'Billing',
      grant_types: ['client_credentials'],
      scope: 'read write',
      default_scope: 'read',
      audiences: ['https://api.example.com', 'https://billing.example.com'],
      token_format: 'opaque',
      access_token_ttl: 600,
      permissions: ['introspect'],
      metadata: { tenant: 'acme', plan: 'gold' },
    });
    const stored = await t.store.findClient(id);
    expect(stored?.secrets.map((s) => s.hash)).toEqual([sha256(secret)]);
  });

  it('create (human) shows the secret once, with a warning that it will not be shown again', async () => {
    const out = await run('clients', 'create', '--name', 'Reports', '--scope', 'read');
    const secret = /client_secret\s+(tsr_cs_\S+)/.exec(out)?.[1] ?? '';
    expect(parseSecret(secret, 'cs')).toBeDefined();
    expect(out.split(secret)).toHaveLength(2);
    expect(out).toMatch(/will not be shown again/);
    const id = /Created client (cli_\S+)/.exec(out)?.[1] ?? '';
    expect((await t.store.findClient(id))?.secrets[0]?.hash).toBe(sha256(secret));
  });

  it('list, show, update, rotate-secret, delete; secrets never in list or show', async () => {
    const created = await runJson('clients', 'create', '--name', 'Lifecycle', '--scope', 'read write');
    const id = created.client_id as string;
    const secret = created.client_secret as string;

    const list = await runJson('clients', 'list');
    expect((list.items as { client_id: string }[]).map((c) => c.client_id)).toContain(id);
    const human = await run('clients', 'list');
    expect(human).toContain(id);
    for (const out of [JSON.stringify(list), human]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(hashSecret(secret));
    }

    const shown = await runJson('clients', 'show', id);
    expect(shown.client_secret).toBeUndefined();
    expect(JSON.stringify(shown)).not.toContain(secret);
    const shownHuman = await run('clients', 'show', id);
    expect(shownHuman).toContain('Lifecycle');
    expect(shownHuman).not.toContain(secret);

    const updated = await runJson(
      'clients',
      'update',
      id,
      '--scope',
      'read write admin',
      '--first-party',
      '--disable',
    );
    expect(updated).toMatchObject({ scope: 'read write admin', first_party: true, disabled: true });
    expect(updated.client_secret).toBeUndefined();

    const rotated = await runJson('clients', 'rotate-secret', id, '--grace', '0');
    const newSecret = rotated.client_secret as string;
    expect(parseSecret(newSecret, 'cs')).toBeDefined();
    const now = t.clock.now();
    const live = (await t.store.findClient(id))?.secrets.filter(
      (s) => s.expiresAt === null || s.expiresAt > now,
    );
    expect(live?.map((s) => s.hash)).toEqual([hashSecret(newSecret)]);

    const graceful = await run('clients', 'rotate-secret', id, '--grace', '1h');
    expect(graceful).toMatch(/previous secret keeps working until/);
    expect(graceful).toMatch(/will not be shown again/);

    expect(await runJson('clients', 'delete', id)).toEqual({ client_id: id, deleted: true });
    await expect(run('clients', 'show', id)).rejects.toMatchObject({ status: 404 });
    expect(await t.store.findClient(id)).toBeUndefined();
  });

  it('a refused change reports the server error (400 naming the field) and writes nothing', async () => {
    const before = await t.store.countClients();
    const failure = run(
      'clients',
      'create',
      '--name',
      'Bad',
      '--grant-types',
      'authorization_code',
      '--redirect-uri',
      'http://evil.example.com/cb',
    );
    await expect(failure).rejects.toBeInstanceOf(AdminApiError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/invalid_redirect_uri: redirect_uris\[0\]/),
    });
    expect(await t.store.countClients()).toBe(before);
  });

  it('--subject-type pairwise (OpenID Connect Core section 8) is stored and shown; update sets it back to public', async () => {
    const created = await runJson(
      'clients',
      'create',
      '--name',
      'Partner portal',
      '--grant-types',
      'authorization_code',
      '--redirect-uri',
      'https://portal.partner.example/callback',
      '--subject-type',
      'pairwise',
    );
    const id = String(created.client_id);
    expect(created.subject_type).toBe('pairwise');
    expect((await t.store.findClient(id))?.subjectType).toBe('pairwise');
    expect(await run('clients', 'show', id)).toMatch(/subject_type\s+pairwise/);
    const updated = await runJson(
      'clients',
      'update',
      id,
      '--subject-type',
      'public',
      '--sector-identifier-uri',
      'none',
    );
    expect([updated.subject_type, updated.sector_identifier_uri]).toEqual(['public', null]);
  });

  it('a public client gets no secret', async () => {
    const created = await runJson(
      'clients',
      'create',
      '--name',
      'SPA',
      '--public',
      '--redirect-uri',
      'https://app.example.com/callback',
      '--scope',
      'openid profile',
    );
    expect(created).toMatchObject({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      secrets: [],
    });
    expect(created.client_secret).toBeUndefined();
  });
});

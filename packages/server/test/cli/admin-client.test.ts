/**
 * How the CLI reaches the admin API safely (issue 12 item 11): the credential never comes from
 * argv (a file, stdin or TESSERA_ADMIN_TOKEN instead), it never travels over plain http to a
 * non-loopback host, and outside --dev a `.tessera/server.json` in the current folder cannot
 * redirect a configured credential to another server.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdminClient } from '../../src/cli/admin-client.js';
import { buildCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

const TOKEN = 'x'.repeat(40);

function clientConfig(env: Record<string, string>, dataDir: string) {
  return loadConfig({ env, overrides: { dataDir }, purpose: 'client' });
}

/** A data folder holding a planted server.json that names `url`. */
function plantedFolder(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-planted-'));
  mkdirSync(join(dir, '.tessera'));
  writeFileSync(join(dir, '.tessera', 'server.json'), JSON.stringify({ url }));
  return join(dir, '.tessera');
}

describe('the CLI admin credential and server (issue 12 item 11)', () => {
  let t: TestServer;
  let url: string;
  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('issue 12 item 11 — --admin-token on the command line is refused with a clear message, nothing sent', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    try {
      const error = await buildCli()
        .parseAsync(['node', 'tessera', '--url', url, '--admin-token', t.adminToken, 'clients', 'list'])
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toMatch(/--admin-token on the command line is refused/);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('issue 12 item 11 — the credential comes from stdin (--admin-token-file -) or TESSERA_ADMIN_TOKEN', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-data-'));
    const fromStdin = createAdminClient(clientConfig({}, dataDir), {
      url,
      adminTokenFile: '-',
      readStdin: () => `${t.adminToken}\n`,
    });
    await expect(fromStdin.request('GET', '/admin/clients')).resolves.toHaveProperty('items');
    const fromEnv = createAdminClient(clientConfig({ TESSERA_ADMIN_TOKEN: t.adminToken }, dataDir), { url });
    await expect(fromEnv.request('GET', '/admin/clients')).resolves.toHaveProperty('items');
  });

  it('issue 12 item 11 — refuses plain http to a non-loopback host; https and loopback http are fine', () => {
    const config = clientConfig(
      { TESSERA_ADMIN_TOKEN: TOKEN },
      mkdtempSync(join(tmpdir(), 'tessera-cli-data-')),
    );
    for (const bad of ['http://auth.example.com', 'http://10.0.0.5:4000', 'ftp://127.0.0.1']) {
      expect(() => createAdminClient(config, { url: bad })).toThrow(/Refusing to send the admin credential/);
    }
    for (const good of [
      'https://auth.example.com',
      'http://127.0.0.1:4000',
      'http://localhost:4000',
      'http://[::1]:4000',
    ]) {
      expect(createAdminClient(config, { url: good }).url).toBe(good);
    }
  });

  it('issue 12 item 11 — outside --dev a server.json in the data folder does not override the configured server', () => {
    const dataDir = plantedFolder('http://127.0.0.1:9');
    const configured = createAdminClient(
      clientConfig({ TESSERA_ADMIN_TOKEN: TOKEN, TESSERA_ISSUER: 'https://auth.example.com' }, dataDir),
    );
    expect(configured.url).toBe('https://auth.example.com');
    // Without a configured server and without --dev, the planted file is not followed either.
    expect(() => createAdminClient(clientConfig({ TESSERA_ADMIN_TOKEN: TOKEN }, dataDir))).toThrow(
      /Cannot find the server/,
    );
    // In --dev, or for the folder's own dev credential, server.json names the local dev server.
    expect(
      createAdminClient(clientConfig({ TESSERA_ADMIN_TOKEN: TOKEN, TESSERA_DEV: '1' }, dataDir)).url,
    ).toBe('http://127.0.0.1:9');
    writeFileSync(join(dataDir, 'admin.token'), `${TOKEN}\n`);
    expect(createAdminClient(clientConfig({}, dataDir)).url).toBe('http://127.0.0.1:9');
  });
});

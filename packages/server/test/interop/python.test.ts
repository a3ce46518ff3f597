/**
 * Interop with Python clients, unmodified, against a listening Tessera: Authlib (client credentials,
 * RFC 7662 introspection, JWT verified with authlib.jose against the JWKS) and requests-oauthlib
 * (client credentials, the "backend application" flow). Debian's python3-authlib and
 * python3-requests-oauthlib (installed by .ci/run); Debian's own /usr/bin/python3 runs them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';
import { listeningServer } from '../support/listening.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./python/clients.py', import.meta.url).pathname;
const AUDIENCE = 'https://api.example.com';
const run = promisify(execFile);

let t: TestServer & { url: string };
let app: TestClient;
let api: TestClient;

beforeAll(async () => {
  t = await listeningServer();
  app = await createTestClient(t);
  api = await createTestClient(t, { grantTypes: [], permissions: ['introspect'] });
});
afterAll(() => t.close());

describe('Python: Authlib and requests-oauthlib', () => {
  it('RFC 6749 §4.4 / RFC 7662 / RFC 9068 — both get tokens; Authlib introspects one and verifies it against the JWKS', async () => {
    expect(existsSync(PYTHON), 'Debian python3 (.ci/run installs python3-authlib)').toBe(true);
    const { stdout } = await run(PYTHON, [SCRIPT, t.url, app.id, app.secret, api.id, api.secret, AUDIENCE], {
      env: { PATH: process.env.PATH ?? '', OAUTHLIB_INSECURE_TRANSPORT: '1' },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      issuer: t.url,
      authlib_token_type: 'Bearer',
      authlib_scope: 'read',
      authlib_introspection: { active: true, client_id: app.id, scope: 'read' },
      authlib_jwt: { client_id: app.id, sub: app.id },
      requests_oauthlib_scope: ['write'],
      requests_oauthlib_token_type: 'Bearer',
    });
  });
});

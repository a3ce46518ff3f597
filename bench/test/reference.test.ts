/**
 * The reference handlers (bench/servers/reference.mjs) over real HTTP: they must do the real work,
 * or the `× ref` ratio means nothing. A token verifies with jose against the issuer's rules (RFC 9068
 * §2), a wrong secret is refused (RFC 6749 §5.2), introspection and API-key checks answer as a
 * success only for what is genuine. No figure is measured here.
 * @see issue 18
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../lib/requests.mjs';
import { benchPassword } from '../lib/tessera.mjs';

const SERVER = fileURLToPath(new URL('../servers/reference.mjs', import.meta.url));
const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
const client = { id: 'ref-client-0', secret: `tsr_cs_${randomBytes(32).toString('base64url')}` };
const rs = { id: 'ref-rs', secret: `tsr_cs_${randomBytes(32).toString('base64url')}` };
const apiKey = `tsr_key_${randomBytes(32).toString('base64url')}`;
const dir = mkdtempSync(join(tmpdir(), 'reference-test-'));
let child: ChildProcess;
let url: string;
let password: string;

beforeAll(async () => {
  const made = await benchPassword();
  password = made.password;
  const config = join(dir, 'reference.json');
  writeFileSync(
    config,
    JSON.stringify({
      issuer: 'https://auth.ref.test',
      audience: 'https://api.ref.test',
      clients: [{ id: client.id, secretSha256: digest(client.secret) }],
      resourceServer: { id: rs.id, secretSha256: digest(rs.secret) },
      apiKeySha256: [digest(apiKey)],
      passwordHash: made.hash,
    }),
  );
  child = spawn(process.execPath, [SERVER, '0', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`reference exited ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match?.[1] !== undefined) {
        resolve(match[1]);
      }
    });
  });
  url = `http://127.0.0.1:${port}`;
});
afterAll(() => {
  child?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, authorization: string, body: string) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body,
  });
}

async function token(alg: string, secret = client.secret) {
  return post(`/${alg}/token`, basic(client.id, secret), 'grant_type=client_credentials&scope=read');
}

describe('the reference handlers do the irreducible work', () => {
  it.each(['es256', 'eddsa', 'rs256'])(
    'RFC 9068 §2 — /%s/token signs a JWT at+jwt with the RFC 9068 claims and a fresh jti',
    async (alg) => {
      const first = await token(alg);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const body = (await first.json()) as { access_token: string; token_type: string };
      expect(body.token_type).toBe('Bearer');
      const header = decodeProtectedHeader(body.access_token);
      expect(header).toMatchObject({
        typ: 'at+jwt',
        alg: { es256: 'ES256', eddsa: 'EdDSA', rs256: 'RS256' }[alg],
      });
      const claims = decodeJwt(body.access_token);
      expect(claims).toMatchObject({
        iss: 'https://auth.ref.test',
        sub: client.id,
        client_id: client.id,
        scope: 'read',
      });
      const second = decodeJwt(((await (await token(alg)).json()) as { access_token: string }).access_token);
      expect(second.jti).not.toBe(claims.jti);
      // The signature is real: introspection verifies it with crypto.verify and refuses a forgery.
      const active = await post('/introspect', basic(rs.id, rs.secret), `token=${body.access_token}`);
      expect(await active.json()).toMatchObject({ active: true, jti: claims.jti });
      const [h, , s] = body.access_token.split('.') as [string, string, string];
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${s}`;
      expect(await (await post('/introspect', basic(rs.id, rs.secret), `token=${forged}`)).json()).toEqual({
        active: false,
      });
    },
  );

  it('RFC 6749 §5.2 — a wrong secret or an unknown client is invalid_client (401), not a token', async () => {
    const wrong = await token('es256', `${client.secret}x`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_client' });
    const unknown = await post(
      '/es256/token',
      basic('nobody', client.secret),
      'grant_type=client_credentials',
    );
    expect(unknown.status).toBe(401);
  });

  it('API keys: one SHA-256 and a lookup; an unknown key is not valid; the caller must authenticate', async () => {
    const ok = await post('/api-keys/verify', basic(rs.id, rs.secret), `key=${apiKey}`);
    expect(await ok.json()).toMatchObject({ valid: true });
    const unknown = await post('/api-keys/verify', basic(rs.id, rs.secret), `key=${apiKey}x`);
    expect(await unknown.json()).toEqual({ valid: false, code: 'not_found' });
    expect((await post('/api-keys/verify', basic(rs.id, 'nope'), `key=${apiKey}`)).status).toBe(401);
  });
});

describe('the reference for a sign-in: one raw argon2id verification', () => {
  it("verifies against a hash made with Tessera's own parameters (argon2id, m=19456, t=2, p=1)", async () => {
    const { hash } = await benchPassword();
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const right = await fetch(`${url}/argon2/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `password=${encodeURIComponent(password)}`,
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ valid: true });
  });

  it('a wrong password is not valid (so a run of it would count nothing)', async () => {
    const wrong = await fetch(`${url}/argon2/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `password=${encodeURIComponent(`${password}x`)}`,
    });
    expect(await wrong.json()).toEqual({ valid: false });
  });
});

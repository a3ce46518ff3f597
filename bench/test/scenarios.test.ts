/**
 * The setup and the answer check of the scenarios added for issue 18, over real HTTP against a
 * real Tessera (production mode, SQLite) and a real node-oidc-provider: the sign-in, the
 * unseen-token introspection and the peer's opaque tokens. Each is run for a moment through the
 * load generator itself (bench/load.mjs), and each has a broken twin that must fail the run loudly.
 * No figure is measured here (speed is for `npm run bench`). Needs `tsc -b` (the server's dist/).
 * @see issue 18
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../lib/answers.mjs';
import { BENCH_DIR, freePort, runJsonChild, startServer, stopProcess } from '../lib/procs.mjs';
import { jobFor } from '../lib/requests.mjs';
import { FLOOD_USERS, LOGIN_USERS, startTessera } from '../lib/tessera.mjs';

type Job = ReturnType<typeof jobFor>;
type Out = { ok: number; refused: number; reused: number; total: number; pool?: number };

const dir = mkdtempSync(join(tmpdir(), 'bench-scenarios-test-'));
type Browser = { ip: string; cookie: string; csrfToken: string; username: string; password: string };
/** What `startTessera` resolves with, as far as these tests use it. */
interface BenchTessera {
  url: string;
  ctx: { loginBrowsers: Browser[]; floodBrowsers: Browser[]; unseenJwtTokens: string[] };
  prepareLogin(): Promise<void>;
  prepareUnseen(): Promise<void>;
  close(): Promise<void>;
}
let tessera: BenchTessera | undefined;

function server(): BenchTessera {
  if (tessera === undefined) {
    throw new Error('Tessera did not start');
  }
  return tessera;
}

beforeAll(async () => {
  // A 1 s warm-up-free run: the unseen pool is issued for 2 × (0 + 1) s.
  tessera = await startTessera({}, { workDir: dir, options: { warmup: 0, duration: 1, repeats: 1 } });
}, 120_000);
afterAll(async () => {
  await tessera?.close();
  rmSync(dir, { recursive: true, force: true });
});

function load(url: string, job: Job, connections = 2): Promise<Out> {
  return runJsonChild(join(BENCH_DIR, 'load.mjs'), { url, connections, duration: 1, warmup: 0, ...job });
}

describe('tessera.login: a complete password sign-in at the account page', () => {
  it('each simulated browser has its CSRF cookie and token, its own address and a real account', async () => {
    await server().prepareLogin();
    expect(server().ctx.loginBrowsers).toHaveLength(LOGIN_USERS);
    expect(server().ctx.floodBrowsers).toHaveLength(FLOOD_USERS);
    const ips = new Set([...server().ctx.loginBrowsers, ...server().ctx.floodBrowsers].map((b) => b.ip));
    expect(ips.size).toBe(LOGIN_USERS + FLOOD_USERS);
    const [browser] = server().ctx.loginBrowsers;
    // RFC 6265 §4.1.3: __Host- cookie (the issuer is https), and the form carries the same value.
    expect(browser.cookie).toBe(`__Host-tessera_csrf=${browser.csrfToken}`);
  }, 60_000);

  it('RFC 6749 §10.12 — the bench posts a real sign-in: 303 to /account with a session cookie', async () => {
    await server().prepareLogin();
    const job = jobFor('login', server().ctx);
    const [variant] = job.variants;
    const response = await fetch(`${server().url}/account/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...job.request.headers, ...variant.headers },
      body: variant.body,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/account');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-tessera_session='))).toBe(true);
    // Without the CSRF cookie the same form is refused (403): the bench does not get around it.
    const { cookie: _cookie, ...noCookie } = variant.headers;
    const refused = await fetch(`${server().url}/account/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...job.request.headers, ...noCookie },
      body: variant.body,
    });
    expect(refused.status).toBe(403);
  }, 60_000);

  it('a run counts only the sign-ins; a wrong password (the form again, 400) fails it loudly', async () => {
    await server().prepareLogin();
    const job = jobFor('login', server().ctx);
    const out = await load(server().url, job);
    expect(out.ok).toBeGreaterThan(0);
    expect(failureOf(out, job.expect)).toBeUndefined();
    const wrong = {
      ...job,
      variants: job.variants.map((v: { body: string }) => ({ ...v, body: `${v.body}-wrong` })),
    };
    const bad = await load(server().url, wrong);
    expect(bad.ok).toBe(0);
    expect(failureOf(bad, job.expect)).toMatch(/answers other than 303 → \/account/);
  }, 60_000);

  it('flood.login: the flood browsers sign in too; a refusal is tallied apart, never as a success', async () => {
    await server().prepareLogin();
    const job = jobFor('login-flood', server().ctx);
    const out = await load(server().url, job);
    expect(out.ok + out.refused).toBe(out.total);
    expect(failureOf(out, job.expect)).toBeUndefined();
  }, 60_000);
});

describe('tessera.introspect-jwt-unseen: a token never seen before in every request', () => {
  it('RFC 7662 §2.2 — the pool holds distinct active tokens, each sent once', async () => {
    await server().prepareUnseen();
    const tokens: string[] = server().ctx.unseenJwtTokens;
    expect(tokens.length).toBeGreaterThan(10);
    expect(new Set(tokens).size).toBe(tokens.length);
    const job = jobFor('introspect-jwt-unseen', server().ctx);
    const out = await load(server().url, job);
    expect(out).toMatchObject({ reused: 0, pool: tokens.length });
    expect(out.ok).toBeGreaterThan(0);
    expect(failureOf(out, job.expect)).toBeUndefined();
  }, 60_000);

  it('a pool too small for the run fails it rather than falling back to tokens seen before', async () => {
    await server().prepareUnseen();
    const job = jobFor('introspect-jwt-unseen', server().ctx);
    const out = await load(server().url, { ...job, variants: job.variants.slice(0, 3) });
    expect(out.reused).toBeGreaterThan(0);
    expect(failureOf(out, job.expect)).toMatch(/reused a use-once token: pool too small/);
  }, 60_000);
});

describe("peer.oidc-provider.cc-opaque: node-oidc-provider's own opaque access tokens", () => {
  let peer: Awaited<ReturnType<typeof startServer>> | undefined;
  let url = '';
  const ctx = {
    clientId: 'peer-test',
    clientSecret: 'peer-test-secret-0123456789',
    opaqueResource: 'https://opaque.bench.local',
  };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    peer = await startServer({
      args: [join(BENCH_DIR, 'servers/oidc-provider.mjs'), String(port), ctx.clientId, ctx.clientSecret],
      env: { NODE_ENV: 'production' },
      cores: undefined,
      logFile: join(dir, 'oidc-provider.log'),
      readyUrl: `${url}/.well-known/openid-configuration`,
    });
  }, 60_000);
  afterAll(async () => {
    if (peer !== undefined) {
      await stopProcess(peer);
    }
  });

  it('RFC 8707 — the opaque resource gets an opaque token, the default one a JWT', async () => {
    const token = async (type: string) => {
      const job = jobFor(type, ctx);
      const response = await fetch(`${url}${job.request.path}`, {
        method: 'POST',
        headers: job.request.headers,
        body: job.request.body,
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    expect(await token('cc-peer-opaque')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect((await token('cc-peer')).split('.')).toHaveLength(3);
  });

  it('a run counts the tokens; a wrong secret (401) fails it loudly', async () => {
    const job = jobFor('cc-peer-opaque', ctx);
    const out = await load(url, job);
    expect(out.ok).toBeGreaterThan(0);
    expect(failureOf(out, job.expect)).toBeUndefined();
    const bad = await load(url, jobFor('cc-peer-opaque', { ...ctx, clientSecret: 'wrong' }));
    expect(failureOf(bad, job.expect)).toMatch(/non-2xx/);
  }, 30_000);
});

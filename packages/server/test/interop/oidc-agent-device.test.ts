/**
 * Interop (issue 14 "Done when"): Debian's `oidc-agent` (package oidc-agent-cli), unmodified,
 * completes the device flow (RFC 8628) against a listening Tessera and refreshes. `oidc-gen
 * --flow=device` prints the code and polls; the test plays the person and approves it through the
 * verification page over HTTP, exactly the requests a browser sends (GET /device, POST /device,
 * login, POST /device/confirm); then `oidc-token --force-new` makes the agent use its refresh token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { DEVICE_GRANT, verifyInBrowser } from '../device/device-support.js';
import { TEST_ADMIN_TOKEN, TEST_MASTER_KEY, type TestServer } from '../support/bootstrap.js';
import { createTestClient } from '../support/clients.js';
import { freePort } from '../support/listening.js';
import { Browser, createUser } from '../support/login.js';
import { requireService } from '../support/requirements.js';
import { waitFor } from '../support/wait-for.js';

const available = requireService('oidc-agent (Debian oidc-agent-cli)', existsSync('/usr/bin/oidc-gen'));

/** Runs a command to completion; resolves with its output (never rejects on a non-zero exit). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!available)('oidc-agent device flow against Tessera', () => {
  let runtime: Runtime;
  let issuer: string;
  let home: string;
  let agent: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      env: {},
      overrides: {
        dev: true,
        issuer,
        host: '127.0.0.1',
        port,
        'database.url': ':memory:',
        masterKey: TEST_MASTER_KEY,
        adminToken: TEST_ADMIN_TOKEN,
        'log.level': 'silent',
        'device.interval': 1,
      },
    });
    // The system clock: oidc-agent polls in real time.
    runtime = await createRuntime(config, { logger: createLogger({ level: 'silent' }) });
    await runtime.app.listen({ host: '127.0.0.1', port });
    home = mkdtempSync(join(tmpdir(), 'tessera-oidc-agent-'));
    const socket = join(home, 'agent.sock');
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      OIDC_CONFIG_DIR: join(home, 'oidc-agent'),
      OIDC_SOCK: socket,
      OIDC_ENCRYPTION_PW: 'interop-test-password',
      TMPDIR: home,
    };
    agent = spawn('oidc-agent', ['--console', '--socket-path', socket, '--quiet'], {
      env,
      stdio: 'ignore',
    });
    await waitFor(() => existsSync(socket), { what: 'the oidc-agent socket' });
  }, 60_000);

  afterAll(async () => {
    agent?.kill('SIGTERM');
    await runtime?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /**
   * oidc-gen sends the client secret with HTTP Basic; for a public client (no secret) it sends
   * `Basic base64(client_id ":")`, which Tessera takes as `none` (RFC 6749 §2.3.1, client-authenticator.ts).
   */
  async function deviceFlowAndRefresh(kind: 'confidential' | 'public') {
    // The helpers' view of this runtime (they read the store and clock, and call the admin API).
    const t = {
      ...runtime,
      clock: { nowMs: () => Date.now(), now: () => Math.floor(Date.now() / 1000), advance: () => {} },
      adminToken: TEST_ADMIN_TOKEN,
      adminHeaders: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    } satisfies TestServer;
    if ((await t.store.findUserByUsername('alice')) === undefined) {
      await createUser(t);
    }
    const client = await createTestClient(t, {
      name: 'oidc-agent',
      grantTypes: [DEVICE_GRANT, 'refresh_token'],
      scope: ['openid', 'offline_access', 'profile'],
      defaultScope: [],
      ...(kind === 'public' ? { tokenEndpointAuthMethod: 'none', secrets: [] } : {}),
    });
    const secret = kind === 'public' ? '' : client.secret;
    const account = `tessera-${kind}`;

    const gen = spawn(
      'oidc-gen',
      [
        `--issuer=${issuer}`,
        `--client-id=${client.id}`,
        `--client-secret=${secret}`,
        '--flow=device',
        '--scope=openid offline_access profile',
        '--pw-env',
        '--prompt=none',
        '--confirm-default',
        '--no-url-call',
        account,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    gen.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    gen.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => gen.on('close', resolve));
    const { value: code } = await waitFor(
      () => /[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/.exec(output)?.[0],
      {
        what: 'oidc-gen to print a user code',
      },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; oidc-gen printed: ${output}`);
    });
    expect(output).toContain(`${issuer}/device`);

    const page = await verifyInBrowser(new Browser(t), code ?? '');
    expect(page.body, output).toContain('Device connected');
    expect(await exited, output).toBe(0);

    const first = await run('oidc-token', [account], env);
    expect(first.code, first.stderr).toBe(0);
    const accessToken = first.stdout.trim();
    const userinfo = await fetch(`${issuer}/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(userinfo.status).toBe(200);

    // A new access token comes from the refresh token (RFC 6749 §6), rotated by Tessera.
    const refreshed = await run('oidc-token', ['--force-new', account], env);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout.trim()).not.toBe(accessToken);
    await runtime.audit.flush();
    const metrics = await runtime.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/tessera_tokens_issued_total\{[^}]*grant_type="refresh_token"[^}]*\} [1-9]/);
  }

  for (const kind of ['confidential', 'public'] as const) {
    it(
      `RFC 8628 — oidc-gen --flow=device (${kind} client) gets tokens once the code is approved; oidc-token refreshes`,
      {
        timeout: 90_000,
      },
      () => deviceFlowAndRefresh(kind),
    );
  }
});

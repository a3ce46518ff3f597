/**
 * Tests that need something a laptop may lack (PostgreSQL, Chromium) call {@link requireService}.
 * On a developer's machine a missing service skips those tests with a message saying so; when
 * `TESSERA_REQUIRE_SERVICES=1` (set by `.ci/run`) a missing service fails the run instead.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';

export const requireAll = process.env.TESSERA_REQUIRE_SERVICES === '1';

export const POSTGRES_URL =
  process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const CHROMIUM_PATH = process.env.TESSERA_TEST_CHROMIUM ?? '/usr/bin/chromium';

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function isPostgresReachable(): Promise<boolean> {
  const url = new URL(POSTGRES_URL);
  return canConnect(url.hostname, Number(url.port || 5432));
}

export function isChromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Returns true when the service is there. Otherwise throws under TESSERA_REQUIRE_SERVICES=1, or
 * prints why the tests are skipped and returns false (use it with `describe.skipIf(!ok)`).
 */
export function requireService(name: string, available: boolean): boolean {
  if (available) {
    return true;
  }
  if (requireAll) {
    throw new Error(`${name} is required (TESSERA_REQUIRE_SERVICES=1) but is not available`);
  }
  console.warn(`[skip] ${name} is not available here: its tests are skipped (CI fails instead)`);
  return false;
}

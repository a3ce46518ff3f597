/**
 * Builds a Tessera runtime for feature tests (STYLE §9.6): the real app on SQLite `:memory:`, a
 * fixed clock that moves only when told, a fixed master key and admin token, no socket.
 * Drive it with `t.app.inject()`; call `t.close()` in afterEach/afterAll.
 */
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime, type StartOptions } from '../../src/main.js';

export const TEST_ISSUER = 'http://tessera.test';
export const TEST_MASTER_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';

export interface TestServer extends Runtime {
  clock: ReturnType<typeof createFixedClock>;
  adminToken: string;
  /** Headers carrying the admin credential. */
  adminHeaders: { authorization: string };
}

/**
 * @param overrides config values by dotted path (e.g. `{ 'keys.algorithm': 'EdDSA' }`).
 * @param options runtime options a test injects (e.g. a password hasher that counts verifications, a
 *   logger that keeps its lines; silent by default).
 */
export async function bootstrap(
  overrides: Record<string, unknown> = {},
  options: Pick<StartOptions, 'passwordHasher' | 'logger'> & {
    /** Where the fixed clock starts (seconds since the epoch); now by default. */
    startSeconds?: number;
  } = {},
): Promise<TestServer> {
  const { startSeconds = Math.floor(Date.now() / 1000), ...startOptions } = options;
  const clock = createFixedClock(startSeconds);
  const config = loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer: TEST_ISSUER,
      'database.url': ':memory:',
      masterKey: TEST_MASTER_KEY,
      adminToken: TEST_ADMIN_TOKEN,
      'log.level': 'silent',
      ...overrides,
    },
  });
  const runtime = await createRuntime(config, {
    clock,
    logger: createLogger({ level: 'silent' }),
    ...startOptions,
  });
  await runtime.app.ready();
  return {
    ...runtime,
    clock,
    adminToken: TEST_ADMIN_TOKEN,
    adminHeaders: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { UnsealError } from '../../src/keys/seal.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { openStore } from '../../src/store/open-store.js';
import type { SigningAlgorithm, Store } from '../../src/store/ports.js';
import { TEST_MASTER_KEY } from '../support/bootstrap.js';

const MASTER = Buffer.from(TEST_MASTER_KEY, 'hex');
const opened: Store[] = [];

async function memoryStore(): Promise<Store> {
  const store = await openStore(':memory:');
  await store.migrate();
  opened.push(store);
  return store;
}

async function sign(
  keyring: ReturnType<typeof createKeyring>,
  alg: SigningAlgorithm,
  clock: { now(): number },
) {
  const key = keyring.current(alg);
  return new SignJWT({ sub: 'x' })
    .setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuedAt(clock.now())
    .setExpirationTime(clock.now() + 3600)
    .sign(key.privateKey);
}

afterEach(async () => {
  while (opened.length > 0) {
    await opened.pop()?.close();
  }
});

describe('signing keys', () => {
  it('generates one key per algorithm on first start, and reuses it afterwards', async () => {
    const store = await memoryStore();
    const clock = createFixedClock(1_800_000_000);
    const deps = { store, clock, masterKey: MASTER, activationDelay: 600, retention: 3600 };
    const first = createKeyring(deps);
    await first.load(['ES256', 'EdDSA', 'RS256']);
    const second = createKeyring(deps);
    await second.load(['ES256', 'EdDSA', 'RS256']);
    for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
      expect(second.current(alg).kid).toBe(first.current(alg).kid);
    }
    expect(second.jwks().keys).toHaveLength(3);
    expect((await store.listSigningKeys())[0]?.sealedPrivateKey).toMatch(/^v1\./);
  });

  it('rotation publishes the new key first, signs with it after the delay, and keeps earlier tokens verifiable', async () => {
    const store = await memoryStore();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const keyring = createKeyring({ store, clock, masterKey: MASTER, activationDelay: 600, retention: 3600 });
    await keyring.load(['ES256']);
    const oldKid = keyring.current('ES256').kid;
    const oldToken = await sign(keyring, 'ES256', clock);

    const [added] = await keyring.rotate();
    expect(added?.kid).not.toBe(oldKid);
    expect(keyring.jwks().keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, added?.kid]));
    expect(keyring.current('ES256').kid).toBe(oldKid);
    expect(keyring.secondsToNextChange()).toBe(600);

    clock.advance(600);
    expect(keyring.current('ES256').kid).toBe(added?.kid);
    const jwks = createLocalJWKSet(keyring.jwks());
    await expect(jwtVerify(oldToken, jwks, { currentDate: new Date(clock.nowMs()) })).resolves.toBeDefined();
    const newToken = await sign(keyring, 'ES256', clock);
    expect(decodeProtectedHeader(newToken).kid).toBe(added?.kid);
    await expect(jwtVerify(newToken, jwks, { currentDate: new Date(clock.nowMs()) })).resolves.toBeDefined();

    // The retired key stays published until every token it signed has expired, then leaves.
    clock.advance(3599);
    expect(keyring.jwks().keys.map((k) => k.kid)).toContain(oldKid);
    clock.advance(2);
    await keyring.reload();
    expect(keyring.jwks().keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(keyring.find(oldKid)).toBeUndefined();
  });

  it('an emergency rotation (--now) signs with the new key at once', async () => {
    const store = await memoryStore();
    const clock = createFixedClock(1_800_000_000);
    const keyring = createKeyring({ store, clock, masterKey: MASTER, activationDelay: 600, retention: 3600 });
    await keyring.load(['EdDSA']);
    const [added] = await keyring.rotate({ now: true });
    expect(keyring.current('EdDSA').kid).toBe(added?.kid);
  });

  it('a wrong master key fails loudly instead of producing corrupted keys', async () => {
    const store = await memoryStore();
    const clock = createFixedClock(1_800_000_000);
    await createKeyring({ store, clock, masterKey: MASTER, activationDelay: 600, retention: 3600 }).load([
      'ES256',
    ]);
    const wrong = createKeyring({
      store,
      clock,
      masterKey: Buffer.alloc(32, 1),
      activationDelay: 600,
      retention: 3600,
    });
    await expect(wrong.load(['ES256'])).rejects.toThrow(UnsealError);
  });
});

describe('restart', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  function configFor(dataDir: string, masterKey: string) {
    return loadConfig({
      env: {},
      overrides: {
        dev: true,
        issuer: 'http://tessera.test',
        dataDir,
        masterKey,
        adminToken: 'a'.repeat(40),
        'log.level': 'silent',
      },
    });
  }

  it('keeps its keys across a restart on the same database file, and refuses a different master key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-restart-'));
    const logger = createLogger({ level: 'silent' });
    runtime = await createRuntime(configFor(dataDir, TEST_MASTER_KEY), { logger });
    const kid = runtime.keyring.current('ES256').kid;
    await runtime.close();

    runtime = await createRuntime(configFor(dataDir, TEST_MASTER_KEY), { logger });
    expect(runtime.keyring.current('ES256').kid).toBe(kid);
    await runtime.close();
    runtime = undefined;

    await expect(createRuntime(configFor(dataDir, 'ff'.repeat(32)), { logger })).rejects.toThrow(
      /master key does not open the stored signing keys/,
    );
  });
});

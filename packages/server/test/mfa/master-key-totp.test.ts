/**
 * Master-key rotation re-seals TOTP secrets (RFC 6238 secrets are sealed under a key derived from
 * the master key): after `rotateMasterKey`, the authenticator works under the new key; a second run
 * changes nothing; a wrong old key changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { MasterKeyRotationError, rotateMasterKey } from '../../src/keys/master-key-rotation.js';
import type { Store } from '../../src/store/ports.js';
import { createTotpService } from '../../src/users/authn/totp.js';
import { bootstrap, TEST_MASTER_KEY, type TestServer } from '../support/bootstrap.js';
import { createUser } from '../support/login.js';
import { oathtoolCode } from '../support/totp.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const OLD = hex(TEST_MASTER_KEY);
const NEW = hex('bb'.repeat(32));
const OTHER = hex('cc'.repeat(32));

let t: TestServer;
afterEach(async () => {
  await t.close();
});

describe('master-key rotation and TOTP secrets', () => {
  it('RFC 6238 — the secret is re-sealed: the authenticator keeps working under the new master key', async () => {
    t = await bootstrap();
    const user = await createUser(t);
    const clock = createFixedClock(1_800_000_000);
    const service = (masterKey: Buffer) =>
      createTotpService({ store: t.store, clock, audit: t.audit, masterKey, issuerName: 'test' });
    const enrolment = await service(OLD).begin(user);
    if (enrolment === undefined) {
      throw new Error('no enrolment');
    }
    expect(await service(OLD).confirm(user, oathtoolCode(enrolment.secret, clock.now()))).toBe(true);
    const before = await t.store.listTotpSecrets();
    const tx = <T>(fn: (s: Store) => Promise<T>) => t.store.transaction(fn);

    const wrong = await rotateMasterKey({ transaction: tx, oldKey: OTHER, newKey: NEW }).catch(
      (e: unknown) => e,
    );
    expect(wrong).toBeInstanceOf(MasterKeyRotationError);
    expect(await t.store.listTotpSecrets()).toEqual(before);

    const first = await rotateMasterKey({ transaction: tx, oldKey: OLD, newKey: NEW });
    expect(first.totpResealed).toBe(1);
    const second = await rotateMasterKey({ transaction: tx, oldKey: OLD, newKey: NEW });
    expect(second.totpResealed).toBe(0);
    clock.advance(30);
    expect(await service(NEW).verify(user.id, oathtoolCode(enrolment.secret, clock.now()))).toBe(true);
    await expect(
      service(OLD).verify(user.id, oathtoolCode(enrolment.secret, clock.now() + 30)),
    ).rejects.toThrow();
  });
});

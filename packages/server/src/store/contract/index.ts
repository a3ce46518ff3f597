/**
 * The store contract: every adapter runs {@link describeStoreContract} against a real database.
 * `makeStore` returns a migrated store; each test closes the one it got.
 */
import { describe } from 'vitest';
import { describeAccessTokenStore } from './access-tokens.contract.js';
import { describeAdminTokenStore } from './admin-tokens.contract.js';
import { describeApiKeyStore } from './api-keys.contract.js';
import { describeAttemptStore } from './attempts.contract.js';
import { describeAuditStore } from './audit.contract.js';
import { describeAuthorizationCodeStore } from './authorization-codes.contract.js';
import { describeClientStore } from './clients.contract.js';
import { describeConsentStore } from './consents.contract.js';
import { describeDeviceAuthorizationStore } from './device-authorizations.contract.js';
import type { ContractOptions, MakeStore } from './fixtures.js';
import { describeLinkedIdentifierStore } from './linked-identifiers.contract.js';
import { describeMfaStore } from './mfa.contract.js';
import { describeMigrations } from './migrations.contract.js';
import { describePasskeyStore } from './passkeys.contract.js';
import { describePurgeBatches } from './purge.contract.js';
import { describeRateLimitStore } from './rate-limits.contract.js';
import { describeRefreshTokenStore } from './refresh-tokens.contract.js';
import { describeReplayStore } from './replay.contract.js';
import { describeRevocationStore } from './revocations.contract.js';
import { describeRiskStateStore } from './risk-state.contract.js';
import { describeServerSecretStore } from './server-secrets.contract.js';
import { describeSessionUsageStore } from './session-usage.contract.js';
import { describeSessionStore } from './sessions.contract.js';
import { describeSigningKeyStore } from './signing-keys.contract.js';
import { describeSsfStore } from './ssf.contract.js';
import { describeStatsStore } from './stat-counts.contract.js';
import { describeStoreAggregate } from './store.contract.js';
import { describeSubjectChoiceStore } from './subject-choices.contract.js';
import { describeUserStore } from './users.contract.js';

export type { ContractOptions, MakeStore } from './fixtures.js';

export function describeStoreContract(
  name: string,
  makeStore: MakeStore,
  options: ContractOptions = {},
): void {
  describe(`store contract: ${name}`, () => {
    describeStoreAggregate(makeStore);
    describeMigrations(makeStore);
    describeClientStore(makeStore);
    describeSigningKeyStore(makeStore);
    describeServerSecretStore(makeStore);
    describeRiskStateStore(makeStore, options);
    describeSessionUsageStore(makeStore, options);
    describeAdminTokenStore(makeStore);
    describeRevocationStore(makeStore);
    describeAccessTokenStore(makeStore);
    describeApiKeyStore(makeStore);
    describeUserStore(makeStore);
    describeSessionStore(makeStore);
    describePasskeyStore(makeStore);
    describeLinkedIdentifierStore(makeStore);
    describeSubjectChoiceStore(makeStore);
    describeSsfStore(makeStore);
    describeConsentStore(makeStore);
    describeAuthorizationCodeStore(makeStore);
    describeDeviceAuthorizationStore(makeStore);
    describeRefreshTokenStore(makeStore);
    describeReplayStore(makeStore);
    describeRateLimitStore(makeStore, options);
    describeAttemptStore(makeStore);
    describeMfaStore(makeStore);
    describeAuditStore(makeStore);
    describeStatsStore(makeStore, options);
    describePurgeBatches(makeStore);
  });
}

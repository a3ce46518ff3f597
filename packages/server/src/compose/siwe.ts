/** Sign-In with Ethereum (`siwe.*`): the service the login page's wallet sign-in asks. */
import { createSiweService, type SiweService } from '../users/authn/siwe.js';
import type { Core } from './core.js';

export function composeSiwe(core: Core): SiweService {
  return createSiweService({
    store: core.store,
    masterKey: core.masterKey,
    settings: {
      issuer: core.issuer,
      chainIds: core.config.siwe.chainIds,
      maxAge: core.config.siwe.messageMaxAge,
    },
    clock: core.clock,
    audit: core.audit,
  });
}

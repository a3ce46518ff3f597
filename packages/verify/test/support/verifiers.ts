/**
 * The set-up the revocation tests share: one listening Tessera for the file, the API's own
 * (resource server) client, and verifiers against it that are closed after each test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createUser } from '../../../server/test/support/login.js';
import { createVerifier, type Verifier, type VerifierOptions } from '../../src/index.js';
import { API, createApiServerClient, type RegisteredClient, startTessera, type Tessera } from './tessera.js';

export interface VerifierFixture {
  /** The listening Tessera (set in beforeAll). */
  readonly t: Tessera;
  /** The API's resource-server client (introspection, revocation stream). */
  readonly api: RegisteredClient;
  /** A verifier for the API with a fast-reconnecting revocation stream; closed after the test. */
  verifier(options?: Partial<VerifierOptions>): Verifier;
  /** The same, once its revocation stream is connected. */
  readyVerifier(options?: Partial<VerifierOptions>): Promise<Verifier>;
}

/** Registers the hooks of the file (call at module level). */
export function useVerifierFixture(
  options: { overrides?: Record<string, unknown>; withUser?: boolean } = {},
): VerifierFixture {
  let t: Tessera | undefined;
  let api: RegisteredClient | undefined;
  const verifiers: Verifier[] = [];
  beforeAll(async () => {
    t = await startTessera(options.overrides);
    api = await createApiServerClient(t);
    if (options.withUser) {
      await createUser(t);
    }
  });
  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((v) => v.close()));
  });
  afterAll(() => t?.close());

  const fixture: VerifierFixture = {
    get t() {
      if (t === undefined) {
        throw new Error('Tessera is not started yet (use it inside a test)');
      }
      return t;
    },
    get api() {
      if (api === undefined) {
        throw new Error('the API client is not created yet (use it inside a test)');
      }
      return api;
    },
    verifier(more = {}) {
      const server = fixture.t;
      const verifier = createVerifier({
        issuer: server.url,
        audience: API,
        client: { clientId: fixture.api.clientId, clientSecret: fixture.api.clientSecret },
        now: () => server.clock.now(),
        revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
        ...more,
      });
      verifiers.push(verifier);
      return verifier;
    },
    async readyVerifier(more = {}) {
      const verifier = fixture.verifier(more);
      await verifier.ready();
      return verifier;
    },
  };
  return fixture;
}

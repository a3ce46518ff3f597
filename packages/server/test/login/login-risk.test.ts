/**
 * Risk-based sign-in, recorded (issue 15 §1): with `risk.enabled`, each completed sign-in is scored
 * and the decision is written to the audit log with its top factors; off by default.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { authorizeUrl, Browser, createCodeClient, createUser, pkcePair, signIn } from '../support/login.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function signInOnce(server: TestServer): Promise<void> {
  const client = await createCodeClient(server);
  const pkce = pkcePair();
  const { code } = await signIn(
    new Browser(server),
    authorizeUrl(client.client, {
      scope: 'read',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  expect(code).toBeTruthy();
}

interface Assessment {
  score: number;
  decision: string;
  enforced: boolean;
  factors: { name: string; value: number }[];
}

async function assessments(server: TestServer): Promise<Assessment[]> {
  await server.audit.flush();
  const page = await server.store.listAudit({ type: 'login.risk_assessed', limit: 100 });
  return page.items.map((event) => event.data as unknown as Assessment);
}

describe('risk-based sign-in (issue 15 §1), recorded in the audit log', () => {
  it('risk.enabled: every sign-in gets a score, a decision and its top factors; a returning person from the same place scores lower', async () => {
    t = await bootstrap({ 'risk.enabled': true });
    await createUser(t);
    await signInOnce(t);
    await signInOnce(t);
    const [first, second] = (await assessments(t)).sort((a, b) => b.score - a.score);
    expect(first?.decision).toMatch(/^(allow|step_up)$/);
    expect(first?.enforced).toBe(false);
    expect(second?.factors.length).toBeGreaterThan(0);
    expect(second?.factors.length).toBeLessThanOrEqual(3);
    expect(second?.factors.map((f) => f.name)).toContain('network');
    expect((second?.score ?? 0) < (first?.score ?? 0)).toBe(true);
  });

  it('off by default: no risk event is recorded', async () => {
    t = await bootstrap();
    await createUser(t);
    await signInOnce(t);
    expect(await assessments(t)).toEqual([]);
  });
});

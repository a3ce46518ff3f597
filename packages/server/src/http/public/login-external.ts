/**
 * The login step on an external page (`login.externalUrl`), like Hydra's login app or
 * oidc-provider's interactions URL; docs/customize.md has the protocol and a runnable example.
 *
 * 1. `GET /login` of an interaction answers 303 to `login.externalUrl?login_challenge=<JWT>`: signed
 *    with Tessera's current key, `typ` `tessera-login-challenge+jwt`, `aud` the external page's
 *    origin, five minutes, a `jti`, and the sealed interaction (bound to the browser that started it).
 * 2. The external page signs the person in its own way and calls `POST /admin/login/accept` with an
 *    admin credential: `{ login_challenge, user_id, amr? }`. Tessera verifies the challenge (its own
 *    key, `typ`, `iss`, `aud`, `exp`), takes its `jti` once, and answers `{ redirect_to }`.
 * 3. The external page sends the browser to `redirect_to`: `/login/external?login_verdict=<JWT>`,
 *    signed by Tessera (`typ` `tessera-login-verdict+jwt`, `aud` the issuer, two minutes, single
 *    use). Tessera verifies it, opens the interaction in that browser and signs the person in.
 * Forged, expired and replayed challenges and verdicts are refused (`invalid_grant`), change nothing.
 */
import { randomBytes } from 'node:crypto';
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Keyring } from '../../keys/keyring.js';
import type { SigningAlgorithm } from '../../store/ports.js';
import { describeRoute } from '../admin/openapi.js';
import { clientOf, type LoginFlowDeps, openInteraction } from './login-flow.js';
import { finishLogin } from './login-second-factor.js';

const CHALLENGE_TYP = 'tessera-login-challenge+jwt';
const VERDICT_TYP = 'tessera-login-verdict+jwt';
const CHALLENGE_TTL = 300;
const VERDICT_TTL = 120;

export interface ExternalLoginDeps {
  /** `login.externalUrl`. */
  url: string;
  keyring: Keyring;
  algorithm: SigningAlgorithm;
}

function refused(what: string): OAuthError {
  return OAuthError.invalidGrant(`The ${what} is not valid, has expired or was already used`);
}

async function sign(
  deps: ExternalLoginDeps & { issuer: string; now: number },
  typ: string,
  claims: JWTPayload,
  audience: string,
  ttl: number,
): Promise<string> {
  const key = deps.keyring.current(deps.algorithm);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .setIssuer(deps.issuer)
    .setAudience(audience)
    .setIssuedAt(deps.now)
    .setExpirationTime(deps.now + ttl)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key.privateKey);
}

/** Verifies a JWT Tessera signed for this hand-off step (`typ`, `iss`, `aud`, `exp`). */
async function verifyHandoff(
  flow: LoginFlowDeps,
  deps: ExternalLoginDeps,
  token: string,
  expected: { typ: string; audience: string; what: string },
): Promise<JWTPayload> {
  const now = flow.clock.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : deps.keyring.find(header.kid);
        if (key === undefined) {
          throw new Error('unknown key');
        }
        return key.publicKey;
      },
      {
        typ: expected.typ,
        issuer: flow.issuer,
        audience: expected.audience,
        currentDate: new Date(now * 1000),
        requiredClaims: ['jti', 'exp', 'interaction'],
      },
    ));
  } catch {
    throw refused(expected.what);
  }
  return payload;
}

/** Takes a verified hand-off's `jti` once (the replay cache is shared by every node). */
async function takeOnce(flow: LoginFlowDeps, payload: JWTPayload, what: string): Promise<void> {
  if (
    !(await flow.store.markOnce(
      `login-handoff:${String(payload.jti)}`,
      Number(payload.exp),
      flow.clock.now(),
    ))
  ) {
    throw refused(what);
  }
}

/** Step 1: the login page of an interaction is the external page. */
export async function redirectToExternalLogin(
  flow: LoginFlowDeps,
  deps: ExternalLoginDeps,
  reply: FastifyReply,
  input: { sealed: string; clientId: string; loginHint: string | null; uiLocales: string[] | undefined },
): Promise<FastifyReply> {
  const challenge = await sign(
    { ...deps, issuer: flow.issuer, now: flow.clock.now() },
    CHALLENGE_TYP,
    {
      interaction: input.sealed,
      client_id: input.clientId,
      ...(input.loginHint === null ? {} : { login_hint: input.loginHint }),
      ...(input.uiLocales === undefined ? {} : { ui_locales: input.uiLocales.join(' ') }),
    },
    new URL(deps.url).origin,
    CHALLENGE_TTL,
  );
  const target = new URL(deps.url);
  target.searchParams.set('login_challenge', challenge);
  return reply.code(303).header('location', target.href).send();
}

const acceptBody = z.object({
  login_challenge: z.string().min(1).max(16_384),
  user_id: z.string().min(1).max(200),
  amr: z
    .array(z.string().regex(/^[a-z]{2,16}$/))
    .max(8)
    .optional(),
});

/** Step 2: `POST /admin/login/accept` (admin API). */
export function registerLoginAccept(
  admin: FastifyInstance,
  flow: LoginFlowDeps,
  deps: ExternalLoginDeps,
): void {
  admin.post(
    '/login/accept',
    describeRoute({
      summary: 'Accept an external login: the person of a login_challenge is this user',
      tags: ['login'],
      body: acceptBody,
      responses: { 200: z.object({ redirect_to: z.string() }) },
      errors: [400],
    }),
    async (request) => {
      const parsed = acceptBody.safeParse(request.body);
      if (!parsed.success) {
        throw OAuthError.invalidRequest('Send login_challenge, user_id and optionally amr (RFC 8176 values)');
      }
      const user = await flow.users.find(parsed.data.user_id);
      if (user === undefined || user.disabled) {
        throw OAuthError.invalidRequest('No such user, or the user is disabled');
      }
      const challenge = await verifyHandoff(flow, deps, parsed.data.login_challenge, {
        typ: CHALLENGE_TYP,
        audience: new URL(deps.url).origin,
        what: 'login challenge',
      });
      await takeOnce(flow, challenge, 'login challenge');
      const verdict = await sign(
        { ...deps, issuer: flow.issuer, now: flow.clock.now() },
        VERDICT_TYP,
        { interaction: challenge.interaction, sub: user.id, amr: parsed.data.amr ?? [] },
        flow.issuer,
        VERDICT_TTL,
      );
      return { redirect_to: `${flow.issuer}/login/external?login_verdict=${verdict}` };
    },
  );
}

/** Step 3: the browser comes back with the verdict. */
export function registerExternalReturn(
  app: FastifyInstance,
  flow: LoginFlowDeps,
  deps: ExternalLoginDeps,
): void {
  app.get('/login/external', { config: { page: true } }, async (request, reply) => {
    const token = (request.query as Record<string, unknown>).login_verdict;
    if (typeof token !== 'string' || token === '') {
      throw OAuthError.invalidRequest('login_verdict is missing');
    }
    const verdict = await verifyHandoff(flow, deps, token, {
      typ: VERDICT_TYP,
      audience: flow.issuer,
      what: 'login verdict',
    });
    // The interaction is bound to the browser that started it: another browser cannot use (or burn)
    // the verdict.
    const sealed = String(verdict.interaction);
    const interaction = openInteraction(flow, request, sealed);
    const client = await clientOf(flow, request, interaction);
    const user = await flow.users.find(String(verdict.sub));
    if (user === undefined || user.disabled) {
      throw refused('login verdict');
    }
    await takeOnce(flow, verdict, 'login verdict');
    const amr = Array.isArray(verdict.amr) ? verdict.amr.map(String) : [];
    return finishLogin(flow, request, reply, { interaction, sealed, client, user, amr });
  });
}

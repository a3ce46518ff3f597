/**
 * Sign-In with Ethereum (EIP-4361) on the login page: `GET /login/siwe/nonce` gives this browser
 * (the one holding the login page's CSRF cookie) a single-use nonce, and `POST /login/siwe` takes
 * the message the wallet signed and its signature, with the CSRF token and the sealed interaction.
 * A verified message starts a session as `did:pkh:eip155:<chain>:<address>` with `amr` `swk`
 * (RFC 8176: a software-secured key; RFC 8176 has no wallet value) and continues the authorization
 * request. A refused message gets an error page before the client is looked at.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { hashBrowserSecret } from '../../oauth/authorize/interaction.js';
import { checksummed, SIWE_AMR, type SiweService } from '../../users/authn/siwe.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import { clientOf, type LoginFlowDeps, openInteraction } from './login-flow.js';
import { finishLogin } from './login-second-factor.js';

export function registerLoginSiwe(app: FastifyInstance, deps: LoginFlowDeps & { siwe: SiweService }): void {
  app.get('/login/siwe/nonce', async (request, reply) => {
    const browser = deps.cookies.presentedCsrf(request);
    if (browser === undefined) {
      throw OAuthError.invalidRequest(
        'Open the sign-in page first: this browser has no sign-in in progress.',
      );
    }
    // The page script has no Keccak-256: the EIP-55 form of the wallet's address comes from here.
    const raw = (request.query as Record<string, unknown> | undefined)?.address;
    const address = typeof raw === 'string' ? checksummed(raw) : undefined;
    return reply.header('cache-control', 'no-store').send({
      nonce: deps.siwe.nonce(hashBrowserSecret(browser)),
      ...(address === undefined ? {} : { address }),
    });
  });

  app.post('/login/siwe', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    const csrf = single(body, 'csrf_token');
    if (!deps.cookies.checkCsrf(request, csrf)) {
      throw csrfFailure();
    }
    const sealed = single(body, 'interaction');
    const interaction = openInteraction(deps, request, sealed);
    const { user } = await deps.siwe.signIn(
      {
        // A form post turns the message's line feeds into CRLF (HTML, "converting line breaks"):
        // EIP-4361 messages have LF line ends, and the wallet signed those.
        message: (single(body, 'message') ?? '').replace(/\r\n/g, '\n'),
        signature: single(body, 'signature') ?? '',
      },
      hashBrowserSecret(csrf ?? ''),
      { ip: request.ip, requestId: request.id },
    );
    const client = await clientOf(deps, request, interaction);
    return finishLogin(deps, request, reply, {
      interaction,
      sealed: sealed ?? '',
      client,
      user,
      amr: [...SIWE_AMR],
    });
  });
}

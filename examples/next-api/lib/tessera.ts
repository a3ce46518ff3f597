/**
 * The verifier every route shares (one per server process): `ISSUER` (Tessera, default
 * http://127.0.0.1:4000), `AUDIENCE` (this API's identifier, default http://127.0.0.1:3000) and
 * optionally `CLIENT_ID` / `CLIENT_SECRET` (this API's own client: revocation stream, opaque tokens).
 */
import {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  VerifyError,
  type VerifyOptions,
} from '@tessera/verify';

let verifier: Verifier | undefined;

function tessera(): Verifier {
  const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = process.env;
  verifier ??= createVerifier({
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:4000',
    audience: process.env.AUDIENCE ?? 'http://127.0.0.1:3000',
    realm: 'next-api',
    ...(clientId && clientSecret ? { client: { clientId, clientSecret } } : {}),
  });
  return verifier;
}

/**
 * Wraps a route handler: the request's access token is verified (with the scopes given) before the
 * handler runs; otherwise the answer is the RFC 6750 error (401/403 with `WWW-Authenticate`).
 */
export function withToken(
  handler: (request: Request, token: VerifiedToken) => Response | Promise<Response>,
  options: VerifyOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    const current = tessera();
    let token: VerifiedToken;
    try {
      token = await current.verify(request, options);
    } catch (error) {
      const { status, headers, body } = VerifyError.from(error, current.realm).toResponse();
      return new Response(body, { status, headers });
    }
    return handler(request, token);
  };
}

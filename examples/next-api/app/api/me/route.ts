import { withToken } from '../../../lib/tessera';

export const dynamic = 'force-dynamic';

/** Any valid access token: says whose it is. */
export const GET = withToken((_request, token) =>
  Response.json({ subject: token.subject, scope: token.scope, client: token.clientId }),
);

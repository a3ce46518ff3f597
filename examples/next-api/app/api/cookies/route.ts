import { withToken } from '../../../lib/tessera';

export const dynamic = 'force-dynamic';

/** Needs the scope `cookies:read`: otherwise 403 `insufficient_scope`. */
export const GET = withToken((_request, token) => Response.json({ cookies: 12, for: token.subject }), {
  scope: 'cookies:read',
});

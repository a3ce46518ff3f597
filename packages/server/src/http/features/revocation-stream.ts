/**
 * The revocation stream feature (issue 5): `GET /revocations/stream` and its discovery entry
 * `revocation_stream_endpoint` (a Tessera extension to RFC 8414 metadata; see docs/verify.md).
 */
import type { HttpFeature } from '../feature.js';
import {
  REVOCATION_STREAM_PATH,
  type RevocationStreamDeps,
  type RevocationStreamRoute,
  registerRevocationStream,
} from '../public/revocation-stream.js';

export function createRevocationStreamFeature(deps: RevocationStreamDeps): HttpFeature {
  let route: RevocationStreamRoute | undefined;
  return {
    name: 'revocation-stream',
    registerPublic(app, context) {
      route = registerRevocationStream(app, deps);
      // End open streams before the server waits for connections to drain.
      app.addHook('preClose', async () => {
        route?.closeAll();
      });
      context.caps.endpoints.set('revocation_stream_endpoint', REVOCATION_STREAM_PATH);
    },
    async close() {
      route?.closeAll();
    },
  };
}

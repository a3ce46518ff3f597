/**
 * The revocation stream feature: `GET /revocations/stream` and its discovery entry
 * `revocation_stream_endpoint` (a Tessera extension to RFC 8414 metadata; see docs/verify.md).
 * With a metrics registry it also reports open streams and the event ids they remember.
 */
import { Gauge, type Registry } from 'prom-client';
import type { HttpFeature } from '../feature.js';
import {
  REVOCATION_STREAM_PATH,
  type RevocationStreamDeps,
  type RevocationStreamRoute,
  registerRevocationStream,
} from '../public/revocation-stream.js';

export function createRevocationStreamFeature(
  deps: RevocationStreamDeps & { registry?: Registry },
): HttpFeature {
  let route: RevocationStreamRoute | undefined;
  if (deps.registry !== undefined) {
    new Gauge({
      name: 'tessera_revocation_streams_open',
      help: 'Revocation streams (GET /revocations/stream) open on this process',
      registers: [deps.registry],
      collect() {
        this.set(route?.openStreams ?? 0);
      },
    });
    new Gauge({
      name: 'tessera_revocation_stream_tracked_ids',
      help: 'Event ids remembered for de-duplication by all open revocation streams (bounded per stream)',
      registers: [deps.registry],
      collect() {
        this.set(route?.trackedIds ?? 0);
      },
    });
  }
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

/**
 * The Shared Signals Framework feature: the transmitter metadata, the read-only stream
 * configuration and RFC 8936 poll delivery of CAEP events as SETs (http/public/ssf.ts).
 */
import type { HttpFeature } from '../feature.js';
import { registerSsfRoutes, type SsfRoutes, type SsfRoutesDeps } from '../public/ssf.js';

export function createSsfFeature(deps: SsfRoutesDeps): HttpFeature {
  let routes: SsfRoutes | undefined;
  return {
    name: 'ssf',
    registerPublic(app) {
      routes = registerSsfRoutes(app, deps);
      // Waiting long polls answer (empty) before the server waits for connections to drain.
      app.addHook('preClose', async () => {
        routes?.closeAll();
      });
    },
    async close() {
      routes?.closeAll();
    },
  };
}

/// <reference types="node" />
/**
 * `@tessera/client/bff/fastify`: the BFF as a Fastify 5 plugin. It registers the BFF's routes in
 * its own encapsulated scope, where every request body is kept raw for the proxy.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createBff } from '@tessera/client/bff';
 * import { bffPlugin } from '@tessera/client/bff/fastify';
 *
 * const app = Fastify();
 * await app.register(bffPlugin, { bff: createBff(options) });
 * ```
 *
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bff } from './bff.js';
import { bffRequestOf, MAX_PROXY_BODY } from './node-request.js';

/**
 * Options of {@link bffPlugin}.
 *
 * @example
 * ```ts
 * await app.register(bffPlugin, { bff });
 * ```
 */
export interface BffPluginOptions {
  bff: Bff;
}

/**
 * Registers the BFF's routes (login, callback, logout, session, and the API proxy).
 *
 * @example
 * ```ts
 * await app.register(bffPlugin, { bff });
 * ```
 */
export async function bffPlugin(app: FastifyInstance, options: BffPluginOptions): Promise<void> {
  const { bff } = options;
  // Raw bodies in this scope only: the proxy forwards them untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PROXY_BODY }, (_request, body, done) => {
    done(null, body);
  });

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = request.body;
    const response = await bff.handle(
      bffRequestOf(request.method, request.url, request.headers, async () =>
        raw instanceof Uint8Array ? raw : undefined,
      ),
    );
    if (response === undefined) {
      reply.callNotFound();
      return reply;
    }
    reply.code(response.status);
    for (const [name, value] of Object.entries(response.headers)) {
      reply.header(name, value);
    }
    return reply.send(
      response.body === undefined
        ? undefined
        : typeof response.body === 'string'
          ? response.body
          : Buffer.from(response.body),
    );
  }

  const { routes } = bff;
  app.get(routes.login, handle);
  app.get(routes.callback, handle);
  app.post(routes.logout, handle);
  app.get(routes.session, handle);
  app.all(routes.api, handle);
  app.all(`${routes.api}/*`, handle);
}

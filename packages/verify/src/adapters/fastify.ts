/**
 * `@tessera/verify/fastify`: a Fastify 5 `preHandler`. The verified token is left on
 * `request.auth`. Body tokens (when enabled) need a form parser such as `@fastify/formbody`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { protect } from '@tessera/verify/fastify';
 *
 * const app = Fastify();
 * app.get('/cookies', { preHandler: protect(verifier, { scope: 'cookies:read' }) }, async (request) => ({
 *   for: request.auth?.subject,
 * }));
 * ```
 *
 * @packageDocumentation
 */
/// <reference types="node" />
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { isFormContentType, type RequestView } from '../bearer.js';
import type { Verifier, VerifyOptions } from '../create-verifier.js';
import {
  type ResourceMetadataOptions,
  resourceMetadata,
  resourceMetadataPath,
} from '../resource-metadata.js';
import { successHeadersOf } from '../success-headers.js';
import type { VerifiedToken } from '../verified-token.js';
import { VerifyError } from '../verify-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `@tessera/verify/fastify`'s `protect` once the request is verified. */
    auth?: VerifiedToken;
  }
}

/** Route options of the adapter. */
export interface ProtectOptions extends VerifyOptions {}

function valuesOf(source: unknown, name: string): readonly string[] {
  if (typeof source !== 'object' || source === null) {
    return [];
  }
  const value = (source as Record<string, unknown>)[name];
  if (value === undefined) {
    return [];
  }
  if (typeof value === 'string') {
    return [value];
  }
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : ['\0'];
}

/**
 * The {@link RequestView} of a Fastify request.
 *
 * @example
 * ```ts
 * await verifier.verify(requestViewOfFastify(request));
 * ```
 */
export function requestViewOfFastify(request: FastifyRequest): RequestView {
  let url: URL | undefined;
  return {
    method: request.method,
    // RFC 9449 §4.3 htu: Fastify's protocol and host honour its trustProxy setting.
    url: `${request.protocol}://${request.host}${request.url}`,
    clientIp: request.ip,
    route: request.routeOptions.url,
    header(name) {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    query(name) {
      url ??= new URL(request.url, 'http://localhost');
      return url.searchParams.getAll(name);
    },
    form(name) {
      return isFormContentType(request.headers['content-type']) ? valuesOf(request.body, name) : undefined;
    },
  };
}

/**
 * A `preHandler` that verifies the request (and the scopes given) or answers with the RFC 6750
 * error.
 *
 * @example
 * ```ts
 * app.post('/cookies/eat', { preHandler: protect(verifier, { scope: 'cookies:eat' }) }, eatCookie);
 * ```
 */
export function protect(verifier: Verifier, options: ProtectOptions = {}): preHandlerAsyncHookHandler {
  return async function tesseraProtect(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      const token = await verifier.verify(requestViewOfFastify(request), options);
      request.auth = token;
      reply.headers(successHeadersOf(token));
    } catch (error) {
      const { status, headers, body } = VerifyError.from(error, verifier.realm).toResponse();
      await reply.code(status).headers(headers).send(body);
    }
  };
}

/**
 * Adds `GET /.well-known/oauth-protected-resource[path]` (RFC 9728 §3) serving the resource's
 * metadata document.
 *
 * @example
 * ```ts
 * serveResourceMetadata(app, { resource: 'https://api.example.com', authorizationServers: [issuer] });
 * ```
 */
export function serveResourceMetadata(app: FastifyInstance, options: ResourceMetadataOptions): void {
  const document = resourceMetadata(options);
  app.get(resourceMetadataPath(options.resource), async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').send(document),
  );
}

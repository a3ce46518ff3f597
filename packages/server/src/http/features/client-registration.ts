/**
 * Clients without shared secrets or prior registration, on the wire:
 * - `POST /register` (RFC 7591 §3) and `GET|PUT|DELETE /register/:client_id` (RFC 7592 §2), when
 *   `clients.registration` is `token` (an initial access token: an admin token with the
 *   `clients:register` scope, RFC 7591 §3) or `open`; discovery then lists `registration_endpoint`
 *   (RFC 8414 §2);
 * - `client_id_metadata_document_supported` in discovery when `clients.metadataDocuments` is on
 *   (draft-ietf-oauth-client-id-metadata-document).
 * DID clients need no route: they authenticate at the token endpoint like any client.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClientRegistration, RegistrationPolicy } from '../../oauth/clients/registration.js';
import type { HttpFeature } from '../feature.js';
import { checkHook, type RateLimiter } from '../plugins/rate-limit.js';

export interface ClientRegistrationFeatureDeps {
  registration: ClientRegistration;
  policy: RegistrationPolicy;
  metadataDocuments: boolean;
  /** True when `token` is a valid initial access token (admin token allowing `clients:register`). */
  isInitialAccessToken(token: string): Promise<boolean>;
  /** Registration requests per IP address. */
  limit: RateLimiter;
}

/** RFC 6750 §2.1 bearer credential, or undefined. */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([\x21-\x7E]+)$/i.exec(header);
  return match?.[1];
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/** RFC 7591 §3.2.1 and RFC 7592 §3: client information is never cached. */
function sendInformation(reply: FastifyReply, status: number, body: unknown) {
  return reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache').send(body);
}

export function createClientRegistrationFeature(deps: ClientRegistrationFeatureDeps): HttpFeature {
  const routeConfig = { config: { challenge: 'bearer' as const } };
  return {
    name: 'client-registration',
    registerPublic(app, context) {
      if (deps.metadataDocuments) {
        context.caps.extra.set('client_id_metadata_document_supported', true);
      }
      if (deps.policy === 'off') {
        return;
      }
      context.caps.endpoints.set('registration_endpoint', '/register');

      app.post(
        '/register',
        { ...routeConfig, onRequest: checkHook((request, reply) => deps.limit.consume(request.ip, reply)) },
        async (request, reply) => {
          if (deps.policy === 'token') {
            const token = bearerOf(request);
            if (token === undefined || !(await deps.isInitialAccessToken(token))) {
              throw OAuthError.invalidToken('An initial access token is required to register (RFC 7591 §3)');
            }
          }
          const information = await deps.registration.register(request.body, request.id);
          return sendInformation(reply, 201, information);
        },
      );
      app.get('/register/:id', routeConfig, async (request, reply) =>
        sendInformation(reply, 200, await deps.registration.read(idOf(request), bearerOf(request))),
      );
      app.put('/register/:id', routeConfig, async (request, reply) =>
        sendInformation(
          reply,
          200,
          await deps.registration.replace(idOf(request), bearerOf(request), request.body, request.id),
        ),
      );
      app.delete('/register/:id', routeConfig, async (request, reply) => {
        await deps.registration.remove(idOf(request), bearerOf(request), request.id);
        return reply.code(204).send();
      });
    },
  };
}

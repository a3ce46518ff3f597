/**
 * `/admin/clients`: create, list, read, update (PATCH), delete and rotate the secret of clients.
 * Wire names are RFC 7591's (snake_case); a secret is in the response of create and rotate only,
 * never in a read. Validation, events and audit live in the client service (oauth/clients).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import {
  type ActionContext,
  type ClientService,
  clientViewSchema,
  clientWithSecretViewSchema,
  MAX_CLIENT_PAGE,
  parseRotationGrace,
  toClientView,
} from '../../oauth/clients/index.js';
import type { HttpFeature } from '../feature.js';
import { describeRoute } from './openapi.js';

export interface ClientRoutesDeps {
  clients: ClientService;
  clock: Clock;
}

const TAGS = ['clients'];

const idParams = z.object({ id: z.string().meta({ description: 'The client_id (cli_...).' }) });

const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .optional()
    .meta({ description: `Page size, 1 to ${MAX_CLIENT_PAGE} (default ${MAX_CLIENT_PAGE}).` }),
  cursor: z.string().max(512).optional().meta({ description: 'The next value of the previous page.' }),
});

const listResponse = z.object({
  items: z.array(clientViewSchema),
  next: z.string().optional().meta({ description: 'Cursor of the next page; absent on the last page.' }),
});

const rotateBody = z
  .strictObject({
    grace: z
      .union([z.string(), z.int().min(0)])
      .optional()
      .meta({
        description:
          'How long the previous secret keeps working: a duration ("1h", "30m") or seconds; 0 ends it now. Default: clients.secretRotationGrace (1h).',
        examples: ['1h', 0],
      }),
  })
  .nullable();

const rotateResponse = clientWithSecretViewSchema.extend({
  previous_secrets_expire_at: z
    .int()
    .meta({ description: 'When the earlier secrets stop working (seconds since the epoch).' }),
});

function contextOf(request: FastifyRequest): ActionContext {
  return { actor: 'admin', requestId: request.id };
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

function parseListQuery(query: unknown): { limit?: number; cursor?: string } {
  const result = listQuery.safeParse(query);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field =
      issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue?.path[0] ?? 'query');
    throw OAuthError.invalidRequest(
      `Invalid query parameter ${field.slice(0, 40)}: use limit (1 to ${MAX_CLIENT_PAGE}) and cursor`,
    );
  }
  return {
    ...(result.data.limit === undefined ? {} : { limit: Number(result.data.limit) }),
    ...(result.data.cursor === undefined ? {} : { cursor: result.data.cursor }),
  };
}

/** The grace of a rotation: absent body or field → the configured default. */
function parseRotateBody(body: unknown): number | undefined {
  if (body === undefined || body === null) {
    return undefined;
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw OAuthError.invalidRequest('The body must be a JSON object such as {"grace": "1h"}');
  }
  const unknown = Object.keys(body).filter((key) => key !== 'grace');
  if (unknown.length > 0) {
    throw OAuthError.invalidRequest(`Unknown field(s): ${unknown.slice(0, 5).join(', ').slice(0, 200)}`);
  }
  const grace = (body as { grace?: unknown }).grace;
  return grace === undefined ? undefined : parseRotationGrace(grace);
}

export function registerClientRoutes(admin: FastifyInstance, deps: ClientRoutesDeps): void {
  const { clients, clock } = deps;
  const schemas = clients.schemas;

  admin.post(
    '/clients',
    describeRoute({
      summary: 'Create a client',
      description:
        'Returns the client and, for client_secret_basic/client_secret_post clients, its secret: shown once.',
      tags: TAGS,
      body: schemas.create,
      responses: { 201: clientWithSecretViewSchema.partial({ client_secret: true }) },
      errors: [400],
    }),
    async (request, reply) => {
      const { client, secret } = await clients.create(request.body, contextOf(request));
      const view = toClientView(client, clock.now());
      return reply.code(201).send(secret === undefined ? view : { ...view, client_secret: secret });
    },
  );

  admin.get(
    '/clients',
    describeRoute({
      summary: 'List clients, oldest first',
      tags: TAGS,
      querystring: listQuery,
      responses: { 200: listResponse },
      errors: [400],
    }),
    async (request) => {
      const page = await clients.list(parseListQuery(request.query));
      const now = clock.now();
      return {
        items: page.items.map((client) => toClientView(client, now)),
        ...(page.next === undefined ? {} : { next: page.next }),
      };
    },
  );

  admin.get(
    '/clients/:id',
    describeRoute({
      summary: 'Read a client',
      tags: TAGS,
      params: idParams,
      responses: { 200: clientViewSchema },
      errors: [404],
    }),
    async (request) => toClientView(await clients.get(idOf(request)), clock.now()),
  );

  admin.patch(
    '/clients/:id',
    describeRoute({
      summary: 'Update a client',
      description:
        'Fields present replace the stored ones; the result is validated as a whole. Secrets are changed by rotate-secret.',
      tags: TAGS,
      params: idParams,
      body: schemas.patch,
      responses: { 200: clientViewSchema },
      errors: [400, 404],
    }),
    async (request) => {
      const client = await clients.update(idOf(request), request.body, contextOf(request));
      return toClientView(client, clock.now());
    },
  );

  admin.delete(
    '/clients/:id',
    describeRoute({
      summary: 'Delete a client',
      description: 'Deletes the client, its secrets, codes, refresh tokens and opaque tokens.',
      tags: TAGS,
      params: idParams,
      responses: { 204: null },
      errors: [404],
    }),
    async (request, reply) => {
      await clients.delete(idOf(request), contextOf(request));
      return reply.code(204).send();
    },
  );

  admin.post(
    '/clients/:id/block',
    describeRoute({
      summary: 'Block an unregistered client id',
      description:
        'For a DID or an HTTPS metadata document URL: disables its stored record, or stores a disabled one, and revokes its tokens. DELETE to unblock (a pre-registered client: PATCH disabled:false).',
      tags: TAGS,
      params: idParams,
      responses: { 200: clientViewSchema },
      errors: [400],
    }),
    async (request) => toClientView(await clients.block(idOf(request), contextOf(request)), clock.now()),
  );

  admin.post(
    '/clients/:id/rotate-secret',
    describeRoute({
      summary: 'Rotate the client secret',
      description: 'Mints a new secret (shown once); the previous ones keep working for the grace period.',
      tags: TAGS,
      params: idParams,
      body: rotateBody,
      responses: { 200: rotateResponse },
      errors: [400, 404],
    }),
    async (request) => {
      const grace = parseRotateBody(request.body);
      const rotated = await clients.rotateSecret(idOf(request), grace, contextOf(request));
      return {
        ...toClientView(rotated.client, clock.now()),
        client_secret: rotated.secret,
        previous_secrets_expire_at: rotated.previousExpireAt,
      };
    },
  );
}

/** The clients feature: admin routes only (the token endpoint is another feature). */
export function createClientsFeature(deps: ClientRoutesDeps): HttpFeature {
  return {
    name: 'clients',
    registerAdmin(admin) {
      registerClientRoutes(admin, deps);
    },
  };
}

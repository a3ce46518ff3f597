/**
 * `/admin/api-keys`: create (the key is in that answer only), list, read, update (PATCH), disable,
 * enable, revoke and rotate API keys. Validation, events and audit live in the API-key service
 * (tokens/api-keys); this file maps wire names and statuses.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { ActionContext, ApiKeyService } from '../../tokens/api-keys/index.js';
import {
  apiKeyViewSchema,
  apiKeyWithSecretViewSchema,
  createApiKeyBody,
  listApiKeysQuery,
  parseBody,
  rotateApiKeyBody,
  toApiKeyUpdate,
  toApiKeyView,
  toNewApiKey,
  toRotateGrace,
  updateApiKeyBody,
} from './api-key-view.js';
import { describeRoute } from './openapi.js';

export interface ApiKeyRoutesDeps {
  apiKeys: ApiKeyService;
  clock: Clock;
}

const TAGS = ['api-keys'];
const idParams = z.object({ id: z.string().meta({ description: 'The key id (key_...).' }) });
const listResponse = z.object({
  items: z.array(apiKeyViewSchema),
  next: z.string().optional().meta({ description: 'Cursor of the next page; absent on the last page.' }),
});
const rotateResponse = apiKeyWithSecretViewSchema.extend({
  previous: apiKeyViewSchema.meta({
    description: 'The old key: it works until its expires_at (revoked at once with grace 0).',
  }),
});

function contextOf(request: FastifyRequest): ActionContext {
  return { actor: 'admin', requestId: request.id };
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

export function registerApiKeyRoutes(admin: FastifyInstance, deps: ApiKeyRoutesDeps): void {
  const { apiKeys, clock } = deps;

  admin.post(
    '/api-keys',
    describeRoute({
      summary: 'Create an API key',
      description: 'Returns the key (tsr_key_...): shown once, stored only as its SHA-256.',
      tags: TAGS,
      body: createApiKeyBody,
      responses: { 201: apiKeyWithSecretViewSchema },
      errors: [400],
    }),
    async (request, reply) => {
      const body = parseBody(createApiKeyBody, request.body);
      const { key, record } = await apiKeys.create(toNewApiKey(body, clock.now()), contextOf(request));
      return reply.code(201).send({ ...toApiKeyView(record, clock.now()), key });
    },
  );

  admin.get(
    '/api-keys',
    describeRoute({
      summary: 'List API keys, oldest first',
      tags: TAGS,
      querystring: listApiKeysQuery,
      responses: { 200: listResponse },
      errors: [400],
    }),
    async (request) => {
      const query = parseBody(listApiKeysQuery, request.query);
      const page = await apiKeys.list({
        ...(query.owner === undefined ? {} : { owner: query.owner }),
        ...(query.anomalous === 'true' ? { anomalous: true } : {}),
        ...(query.limit === undefined ? {} : { limit: Number(query.limit) }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      const now = clock.now();
      return {
        items: page.items.map((record) => toApiKeyView(record, now)),
        ...(page.next === undefined ? {} : { next: page.next }),
      };
    },
  );

  admin.get(
    '/api-keys/:id',
    describeRoute({
      summary: 'Read an API key',
      tags: TAGS,
      params: idParams,
      responses: { 200: apiKeyViewSchema },
      errors: [404],
    }),
    async (request) => toApiKeyView(await apiKeys.get(idOf(request)), clock.now()),
  );

  admin.patch(
    '/api-keys/:id',
    describeRoute({
      summary: 'Update an API key',
      description:
        'Fields present replace the stored ones; the key itself does not change. A revoked key cannot change (409).',
      tags: TAGS,
      params: idParams,
      body: updateApiKeyBody,
      responses: { 200: apiKeyViewSchema },
      errors: [400, 404, 409],
    }),
    async (request) => {
      const body = parseBody(updateApiKeyBody, request.body);
      const record = await apiKeys.update(
        idOf(request),
        toApiKeyUpdate(body, clock.now()),
        contextOf(request),
      );
      return toApiKeyView(record, clock.now());
    },
  );

  admin.post(
    '/api-keys/:id/acknowledge-anomalies',
    describeRoute({
      summary: "Acknowledge an API key's anomaly alerts",
      description:
        'Closes the open alerts recorded so far (audited); a later anomaly opens a new one. Re-enable an auto-disabled key with /enable.',
      tags: TAGS,
      params: idParams,
      responses: { 200: apiKeyViewSchema },
      errors: [404, 409],
    }),
    async (request) =>
      toApiKeyView(await apiKeys.acknowledgeAnomalies(idOf(request), contextOf(request)), clock.now()),
  );

  for (const action of ['disable', 'enable', 'revoke'] as const) {
    admin.post(
      `/api-keys/:id/${action}`,
      describeRoute({
        summary: `${action[0]?.toUpperCase()}${action.slice(1)} an API key`,
        ...(action === 'revoke'
          ? { description: 'Takes effect at once on every node and is streamed to verifiers. Idempotent.' }
          : {}),
        tags: TAGS,
        params: idParams,
        responses: { 200: apiKeyViewSchema },
        errors: action === 'revoke' ? [404] : [404, 409],
      }),
      async (request) => {
        const record = await apiKeys[action](idOf(request), contextOf(request));
        return toApiKeyView(record, clock.now());
      },
    );
  }

  admin.post(
    '/api-keys/:id/rotate',
    describeRoute({
      summary: 'Rotate ("reroll") an API key',
      description:
        'Mints a new key with the same settings (shown once); the old one keeps working for the grace period (default 24h; 0 revokes it now).',
      tags: TAGS,
      params: idParams,
      body: rotateApiKeyBody,
      responses: { 201: rotateResponse },
      errors: [400, 404, 409],
    }),
    async (request, reply) => {
      const grace = toRotateGrace(parseBody(rotateApiKeyBody, request.body ?? null));
      const rotated = await apiKeys.rotate(
        idOf(request),
        grace === undefined ? {} : { grace },
        contextOf(request),
      );
      const now = clock.now();
      return reply.code(201).send({
        ...toApiKeyView(rotated.record, now),
        key: rotated.key,
        previous: toApiKeyView(rotated.previous, now),
      });
    },
  );
}

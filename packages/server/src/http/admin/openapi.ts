/**
 * `GET /admin/openapi.json`: the OpenAPI 3.1 document of the whole admin API, generated from the
 * routes themselves so it cannot drift (a test checks that every `/admin/*` route is in it).
 *
 * `@fastify/swagger` collects routes with an `onRoute` hook, so it is registered on the root app in
 * `registerPublic` (which runs before any admin route exists) and documents only `/admin/*`. Routes
 * describe their bodies with zod schemas through {@link describeRoute}: the same schema validates
 * the input in the handler and, converted with `z.toJSONSchema()`, documents it. Fastify itself does
 * not validate or serialise with them (handlers parse with zod and map errors to OAuthError).
 */
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import type { HttpFeature } from '../feature.js';

const ADMIN_PREFIX = '/admin';

/** The server package version (src/http/admin and dist/http/admin are both three levels deep). */
function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema, without the `$schema` marker. */
export function toOpenApiSchema(
  schema: z.ZodType,
  io: 'input' | 'output' = 'output',
): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** RFC 6749 §5.2 error body plus the admin API's `request_id` (STYLE §9.3). */
export const errorBodySchema = z.object({
  error: z
    .string()
    .meta({ description: 'Error code, e.g. invalid_request, not_found, invalid_client_metadata.' }),
  error_description: z.string(),
  request_id: z.string(),
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid_request (malformed body, query or unknown field), invalid_client_metadata or invalid_redirect_uri',
  401: 'Missing or wrong admin credential (WWW-Authenticate: Bearer)',
  404: 'not_found',
  409: 'conflict',
};

export interface RouteDescription {
  summary: string;
  description?: string;
  tags: string[];
  params?: z.ZodType;
  querystring?: z.ZodType;
  /** JSON body; a schema that accepts `null` is documented as an optional body. */
  body?: z.ZodType;
  /** Status → zod schema of the JSON body, or null for no body (204). */
  responses: Record<number, z.ZodType | null>;
  /** Error statuses the route can answer besides 401 (always documented). */
  errors?: number[];
}

/** A response entry of the OpenAPI document. */
function responseEntry(schema: z.ZodType | null, description: string) {
  return schema === null
    ? { description }
    : { description, content: { 'application/json': { schema: toOpenApiSchema(schema) } } };
}

/**
 * Route options that document a route in the OpenAPI document. Spread them into the route's
 * options; the handler still parses its input (with the same zod schemas).
 */
export function describeRoute(route: RouteDescription): RouteShorthandOptions {
  const response: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(route.responses)) {
    response[status] = responseEntry(schema, Number(status) < 300 ? 'Success' : 'Error');
  }
  for (const status of route.errors ?? []) {
    response[String(status)] = responseEntry(errorBodySchema, ERROR_DESCRIPTIONS[status] ?? 'Error');
  }
  const schema: FastifySchema & Record<string, unknown> = {
    summary: route.summary,
    tags: route.tags,
    response,
    ...(route.description === undefined ? {} : { description: route.description }),
    ...(route.params === undefined ? {} : { params: toOpenApiSchema(route.params, 'input') }),
    ...(route.querystring === undefined ? {} : { querystring: toOpenApiSchema(route.querystring, 'input') }),
    ...(route.body === undefined ? {} : { body: toOpenApiSchema(route.body, 'input') }),
  };
  return {
    schema,
    // Documentation only: the handler validates with zod and answers with OAuthError codes.
    validatorCompiler: () => (data: unknown) => ({ value: data }),
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
  };
}

/** Adds what every admin operation shares: the 401 answer. */
function transformRoute({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  if (!url.startsWith(`${ADMIN_PREFIX}/`) && url !== ADMIN_PREFIX) {
    return { schema: { ...schema, hide: true } as FastifySchema, url };
  }
  const base = (schema ?? {}) as FastifySchema & { response?: Record<string, unknown> };
  const response = { ...(base.response ?? {}) };
  response['401'] ??= responseEntry(errorBodySchema, ERROR_DESCRIPTIONS[401] ?? 'Error');
  return { schema: { ...base, response } as FastifySchema, url };
}

type OpenApiDocument = {
  paths?: Record<
    string,
    Record<
      string,
      { requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> } }
    >
  >;
};

/**
 * `@fastify/swagger` marks every request body required; a body schema that accepts `null` (see
 * {@link describeRoute}) means "the body may be left out", so say that instead.
 */
function markOptionalBodies(document: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const media of Object.values(operation.requestBody?.content ?? {})) {
        const anyOf = media.schema?.anyOf;
        if (
          operation.requestBody !== undefined &&
          Array.isArray(anyOf) &&
          anyOf.some((s) => (s as { type?: unknown }).type === 'null')
        ) {
          const rest = anyOf.filter((s) => (s as { type?: unknown }).type !== 'null');
          media.schema = rest.length === 1 ? (rest[0] as Record<string, unknown>) : { anyOf: rest };
          operation.requestBody.required = false;
        }
      }
    }
  }
  return document;
}

/** The OpenAPI feature: registers the route collector and serves the document. */
export function createOpenApiFeature(): HttpFeature {
  return {
    name: 'openapi',
    async registerPublic(app: FastifyInstance, context) {
      await app.register(swagger, {
        openapi: {
          openapi: '3.1.0',
          info: {
            title: 'Tessera admin API',
            version: packageVersion(),
            description:
              'Manage a running Tessera server. Every operation needs the admin credential: Authorization: Bearer <admin token>.',
          },
          servers: [{ url: context.issuer }],
          components: {
            securitySchemes: {
              adminToken: {
                type: 'http',
                scheme: 'bearer',
                description: 'The admin token (TESSERA_ADMIN_TOKEN).',
              },
            },
          },
          security: [{ adminToken: [] }],
        },
        transform: transformRoute,
        transformObject: (documentObject) =>
          'openapiObject' in documentObject
            ? (markOptionalBodies(
                documentObject.openapiObject as OpenApiDocument,
              ) as typeof documentObject.openapiObject)
            : documentObject.swaggerObject,
      });
    },
    registerAdmin(admin: FastifyInstance) {
      admin.get(
        '/openapi.json',
        describeRoute({
          summary: 'This OpenAPI 3.1 document of the admin API',
          tags: ['meta'],
          responses: {
            200: z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document.' }),
          },
        }),
        async () => admin.swagger(),
      );
    },
  };
}

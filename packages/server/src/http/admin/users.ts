/**
 * `/admin/users`: create, list, read, update (PATCH), disable/enable, set the password, delete.
 * A password is accepted, never returned; a password change or disable ends the user's sessions and
 * revokes their tokens (see users/user-service.ts).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UserRecord } from '../../store/ports.js';
import type { UserService } from '../../users/user-service.js';
import { describeRoute } from './openapi.js';
import { passkeyViewSchema } from './passkeys.js';

const TAGS = ['users'];
const MAX_PAGE = 100;

export const userViewSchema = z.object({
  id: z.string().meta({ description: 'usr_...' }),
  username: z.string(),
  email: z.string().nullable(),
  email_verified: z.boolean(),
  name: z.string().nullable(),
  disabled: z.boolean(),
  mfa_required: z.boolean().meta({ description: 'Every sign-in of this person needs a second factor.' }),
  admin_scopes: z
    .array(z.string())
    .nullable()
    .meta({ description: 'The admin scopes this person holds as an operator of the console; null: none.' }),
  created_at: z.int(),
  updated_at: z.int(),
});

/** A person's second factors, in `GET /admin/users/{id}` (docs/mfa.md). */
export const mfaStateSchema = z.object({
  totp: z.boolean().meta({ description: 'An authenticator app (TOTP, RFC 6238) is set up.' }),
  recovery_codes_left: z.int().meta({ description: 'Unused recovery codes.' }),
  passkeys: z.array(passkeyViewSchema).optional().meta({ description: 'Passkeys (WebAuthn), oldest first.' }),
});
export type MfaStateView = z.infer<typeof mfaStateSchema>;

export function toUserView(user: UserRecord): z.infer<typeof userViewSchema> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    disabled: user.disabled,
    mfa_required: user.mfaRequired,
    admin_scopes: user.adminScopes,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

const createBody = z.strictObject({
  username: z.string().max(256),
  password: z.string().max(4096),
  email: z.string().max(320).nullable().optional(),
  name: z.string().max(400).nullable().optional(),
  email_verified: z.boolean().optional(),
  mfa_required: z.boolean().optional(),
});

const patchBody = z.strictObject({
  username: z.string().max(256).optional(),
  email: z.string().max(320).nullable().optional(),
  name: z.string().max(400).nullable().optional(),
  email_verified: z.boolean().optional(),
  mfa_required: z.boolean().optional(),
  disabled: z.boolean().optional(),
});

const passwordBody = z.strictObject({ password: z.string().max(4096) });

const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .optional(),
  cursor: z.string().max(512).optional(),
  username: z
    .string()
    .max(256)
    .optional()
    .meta({ description: 'Exact username (case-insensitive): a list of zero or one.' }),
});

const idParams = z.object({ id: z.string() });

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue?.path.join('.') || what;
    throw OAuthError.invalidRequest(
      `Invalid ${what}: ${field.slice(0, 60)} (${(issue?.message ?? 'invalid').slice(0, 80)})`,
    );
  }
  return result.data;
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

async function requireUser(users: UserService, id: string): Promise<UserRecord> {
  const user = await users.find(id);
  if (user === undefined) {
    throw OAuthError.notFound('No such user');
  }
  return user;
}

export function registerUserRoutes(
  admin: FastifyInstance,
  deps: { users: UserService; mfaState?: (userId: string) => Promise<MfaStateView> },
): void {
  const { users } = deps;

  admin.post(
    '/users',
    describeRoute({
      summary: 'Create a user',
      tags: TAGS,
      body: createBody,
      responses: { 201: userViewSchema },
      errors: [400, 409],
    }),
    async (request, reply) => {
      const body = parse(createBody, request.body, 'body');
      const user = await users.create(
        {
          username: body.username,
          password: body.password,
          ...(body.email === undefined ? {} : { email: body.email }),
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.email_verified === undefined ? {} : { emailVerified: body.email_verified }),
          ...(body.mfa_required === undefined ? {} : { mfaRequired: body.mfa_required }),
        },
        'admin',
      );
      return reply.code(201).send(toUserView(user));
    },
  );

  admin.get(
    '/users',
    describeRoute({
      summary: 'List users, oldest first',
      tags: TAGS,
      querystring: listQuery,
      responses: { 200: z.object({ items: z.array(userViewSchema), next: z.string().optional() }) },
      errors: [400],
    }),
    async (request) => {
      const query = parse(listQuery, request.query, 'query');
      if (query.username !== undefined) {
        const user = await users.findByUsername(query.username);
        return { items: user === undefined ? [] : [toUserView(user)] };
      }
      const limit = query.limit === undefined ? MAX_PAGE : Number(query.limit);
      if (limit < 1 || limit > MAX_PAGE) {
        throw OAuthError.invalidRequest(`limit must be 1 to ${MAX_PAGE}`);
      }
      let page: Awaited<ReturnType<UserService['list']>>;
      try {
        page = await users.list({ limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) });
      } catch (error) {
        if (error instanceof RangeError) {
          throw OAuthError.invalidRequest('Invalid cursor');
        }
        throw error;
      }
      return { items: page.items.map(toUserView), ...(page.next === undefined ? {} : { next: page.next }) };
    },
  );

  admin.get(
    '/users/:id',
    describeRoute({
      summary: 'Read a user',
      tags: TAGS,
      params: idParams,
      responses: { 200: userViewSchema.extend({ mfa: mfaStateSchema.optional() }) },
      errors: [404],
    }),
    async (request) => {
      const user = await requireUser(users, idOf(request));
      return {
        ...toUserView(user),
        ...(deps.mfaState === undefined ? {} : { mfa: await deps.mfaState(user.id) }),
      };
    },
  );

  admin.patch(
    '/users/:id',
    describeRoute({
      summary: 'Update a user',
      description:
        'Fields present replace the stored ones. disabled=true ends every session and revokes every token of the user.',
      tags: TAGS,
      params: idParams,
      body: patchBody,
      responses: { 200: userViewSchema },
      errors: [400, 404, 409],
    }),
    async (request) => {
      const id = idOf(request);
      const body = parse(patchBody, request.body, 'body');
      await requireUser(users, id);
      let user = await users.updateProfile(
        id,
        {
          ...(body.username === undefined ? {} : { username: body.username }),
          ...(body.email === undefined ? {} : { email: body.email }),
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.email_verified === undefined ? {} : { emailVerified: body.email_verified }),
          ...(body.mfa_required === undefined ? {} : { mfaRequired: body.mfa_required }),
        },
        'admin',
      );
      if (body.disabled !== undefined && body.disabled !== user.disabled) {
        user = await users.setDisabled(id, body.disabled, 'admin');
      }
      return toUserView(user);
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    admin.post(
      `/users/:id/${action}`,
      describeRoute({
        summary: disabled ? 'Disable a user (ends sessions, revokes tokens)' : 'Enable a user',
        tags: TAGS,
        params: idParams,
        responses: { 200: userViewSchema },
        errors: [404],
      }),
      async (request) => toUserView(await users.setDisabled(idOf(request), disabled, 'admin')),
    );
  }

  admin.post(
    '/users/:id/password',
    describeRoute({
      summary: "Set a user's password (ends sessions, revokes tokens)",
      tags: TAGS,
      params: idParams,
      body: passwordBody,
      responses: { 200: userViewSchema },
      errors: [400, 404],
    }),
    async (request) => {
      const body = parse(passwordBody, request.body, 'body');
      return toUserView(await users.setPassword(idOf(request), body.password, 'admin'));
    },
  );

  admin.delete(
    '/users/:id',
    describeRoute({
      summary: 'Delete a user (ends sessions, revokes tokens)',
      tags: TAGS,
      params: idParams,
      responses: { 204: null },
      errors: [404],
    }),
    async (request, reply) => {
      await users.delete(idOf(request), 'admin');
      return reply.code(204).send();
    },
  );
}

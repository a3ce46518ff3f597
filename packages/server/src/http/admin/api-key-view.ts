/**
 * How an API key is shown on the wire (admin API, CLI `--json`): snake_case, the display `start`
 * only, never the key or its hash. The zod schemas document the shapes in the OpenAPI document and
 * parse the bodies, so documentation and validation cannot drift.
 */
import { OAuthError, parseScope } from '@tessera/protocol';
import { z } from 'zod';
import { parseDuration } from '../../config/schema.js';
import { API_KEY_ANOMALY_POLICIES, type ApiKeyRecord, type RateLimitSpec } from '../../store/ports.js';
import {
  type ApiKeyUpdate,
  MAX_API_KEY_PAGE,
  type NewApiKeyInput,
  parseRateLimit,
} from '../../tokens/api-keys/index.js';

const anomalyPolicySchema = z.enum(API_KEY_ANOMALY_POLICIES).meta({
  description:
    'What anomalies of the key (a new ASN, country or endpoint, a rate beyond its own) lead to: off, flag (audit), alert (audit and an open alert here), deny (that verification is refused) or disable (the key is disabled).',
});

const anomalyViewSchema = z.strictObject({
  at: z.int().meta({ description: 'Seconds since the epoch.' }),
  kind: z.enum(['new_asn', 'new_country', 'rate', 'new_endpoint']),
  value: z.string().meta({ description: 'The new ASN, country or endpoint; for rate, uses per minute.' }),
  baseline: z.number().optional().meta({ description: "For rate: the key's own highest rate per minute." }),
  action: z.enum(['alerted', 'disabled']),
  open: z.boolean().meta({ description: 'Not acknowledged yet.' }),
});

const rateLimitViewSchema = z.strictObject({
  limit: z.int().meta({ description: 'Verifications allowed per window.' }),
  window: z.int().meta({ description: 'Window length in seconds.' }),
  kind: z.enum(['fixed', 'sliding']),
});

export const apiKeyViewSchema = z.strictObject({
  id: z.string().meta({ examples: ['key_2b9cCq3vN8Yp0hXfKx1mAw'] }),
  name: z.string(),
  start: z
    .string()
    .meta({ description: 'The first characters after tsr_key_, to tell keys apart. Not the key.' }),
  owner: z.string().meta({ description: 'The owning client (cli_...) or user (usr_...).' }),
  scope: z.string().meta({ description: 'Space-separated.' }),
  audiences: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()),
  rate_limit: rateLimitViewSchema.nullable(),
  status: z.enum(['active', 'disabled', 'expired', 'revoked']),
  disabled: z.boolean(),
  created_at: z.int().meta({ description: 'Seconds since the epoch.' }),
  updated_at: z.int(),
  expires_at: z.int().nullable().meta({ description: 'Seconds since the epoch; null: never.' }),
  revoked_at: z.int().nullable(),
  replaced_by: z.string().nullable().meta({ description: 'Set when the key was rotated: its successor.' }),
  last_used_at: z.int().nullable().meta({ description: 'Written in batches: up to a few seconds behind.' }),
  usage_count: z.int().meta({ description: 'Valid verifications; written in batches.' }),
  dpop_jkt: z.string().nullable().meta({
    description:
      'RFC 9449: the DPoP key thumbprint the key is bound to; it works only with a proof by that key.',
  }),
  anomaly_policy: anomalyPolicySchema,
  anomalies: z.array(anomalyViewSchema).meta({
    description:
      'Anomalies recorded for the owner (policies alert and disable), oldest first, the last 20; written in batches.',
  }),
  open_anomalies: z.int().meta({ description: 'How many of them are open alerts (not acknowledged).' }),
  anomalies_acknowledged_at: z.int().nullable(),
});

export type ApiKeyView = z.output<typeof apiKeyViewSchema>;

export const apiKeyWithSecretViewSchema = apiKeyViewSchema.extend({
  key: z
    .string()
    .meta({ description: 'The key (tsr_key_...). Shown once: Tessera stores only its SHA-256.' }),
});

export function toApiKeyView(record: ApiKeyRecord, now: number): ApiKeyView {
  const status =
    record.revokedAt !== null
      ? 'revoked'
      : record.expiresAt !== null && record.expiresAt <= now
        ? 'expired'
        : record.disabled
          ? 'disabled'
          : 'active';
  const acknowledged = record.anomaliesAcknowledgedAt ?? Number.NEGATIVE_INFINITY;
  const anomalies = record.anomalies.map((anomaly) => ({ ...anomaly, open: anomaly.at > acknowledged }));
  return {
    id: record.id,
    name: record.name,
    start: record.start,
    owner: record.owner,
    scope: record.scope.join(' '),
    audiences: record.audiences,
    meta: record.meta,
    rate_limit: record.rateLimit === null ? null : { ...record.rateLimit },
    status,
    disabled: record.disabled,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    expires_at: record.expiresAt,
    revoked_at: record.revokedAt,
    replaced_by: record.replacedBy,
    last_used_at: record.lastUsedAt,
    usage_count: record.usageCount,
    dpop_jkt: record.dpopJkt,
    anomaly_policy: record.anomalyPolicy,
    anomalies,
    open_anomalies: anomalies.filter((anomaly) => anomaly.open).length,
    anomalies_acknowledged_at: record.anomaliesAcknowledgedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

const durationInput = z.union([z.string().max(20), z.int().min(0)]);

const rateLimitInput = z
  .union([
    z
      .string()
      .max(40)
      .meta({ description: 'LIMIT/WINDOW, e.g. "100/1m" (a fixed window).', examples: ['100/1m'] }),
    z.strictObject({
      limit: z.int().min(1),
      window: durationInput.meta({ description: 'Seconds or a duration ("1m").' }),
      kind: z.enum(['fixed', 'sliding']).optional().meta({ description: 'Default fixed.' }),
    }),
  ])
  .nullable();

const scopeInput = z
  .union([z.string().max(8000), z.array(z.string().max(200)).max(100)])
  .meta({ description: 'Space-separated string or an array of scope tokens.', examples: ['read write'] });

const editable = {
  name: z.string().min(1).max(200),
  scope: scopeInput,
  audiences: z.array(z.string().max(2000)).max(20).meta({ description: 'RFC 8707 resource URIs.' }),
  meta: z
    .record(z.string(), z.unknown())
    .meta({ description: 'Free-form JSON object (at most 8 KB) returned on verification.' }),
  rate_limit: rateLimitInput,
  expires_in: durationInput.meta({ description: 'Lifetime from now ("30d", seconds).', examples: ['30d'] }),
  expires_at: z
    .int()
    .nullable()
    .meta({ description: 'Absolute expiry (seconds since the epoch); null: never.' }),
};

export const createApiKeyBody = z.strictObject({
  name: editable.name,
  owner: z.string().min(1).max(100).meta({ description: 'An existing client (cli_...) or user (usr_...).' }),
  scope: editable.scope.optional(),
  audiences: editable.audiences.optional(),
  meta: editable.meta.optional(),
  rate_limit: editable.rate_limit.optional(),
  expires_in: editable.expires_in.optional(),
  expires_at: editable.expires_at.optional(),
  dpop_jkt: z.string().max(100).optional().meta({
    description:
      'RFC 9449: bind the key to a DPoP key (its RFC 7638 SHA-256 thumbprint); set at creation only.',
  }),
  anomaly_policy: anomalyPolicySchema
    .optional()
    .meta({ description: 'Default: apiKeys.anomalyPolicy (flag).' }),
});

export const updateApiKeyBody = z.strictObject({
  name: editable.name.optional(),
  scope: editable.scope.optional(),
  audiences: editable.audiences.optional(),
  meta: editable.meta.optional(),
  rate_limit: editable.rate_limit.optional(),
  expires_in: editable.expires_in.optional(),
  expires_at: editable.expires_at.optional(),
  anomaly_policy: anomalyPolicySchema.optional(),
});

export const rotateApiKeyBody = z
  .strictObject({
    grace: durationInput.optional().meta({
      description:
        'How long the old key keeps working: a duration ("24h") or seconds; 0 revokes it now. Default 24h (apiKeys.rotationGrace).',
      examples: ['24h', 0],
    }),
  })
  .nullable();

/** Zod's first issue as an `invalid_request` naming the field (never echoing the value). */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field =
      issue?.code === 'unrecognized_keys'
        ? `Unknown field(s): ${issue.keys.join(', ')}`
        : `Invalid ${issue?.path.join('.') || 'body'}`;
    throw OAuthError.invalidRequest(field.slice(0, 200));
  }
  return result.data;
}

function seconds(value: string | number, field: string): number {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    throw OAuthError.invalidRequest(`${field} must be a duration such as 30d, 1h or 90 (seconds)`);
  }
  return parsed;
}

function toScope(scope: string | string[]): string[] {
  return Array.isArray(scope) ? [...new Set(scope)] : parseScope(scope);
}

function toRateLimit(input: z.output<typeof rateLimitInput>): RateLimitSpec | null {
  if (input === null) {
    return null;
  }
  if (typeof input === 'string') {
    return parseRateLimit(input);
  }
  return {
    limit: input.limit,
    window: seconds(input.window, 'rate_limit.window'),
    kind: input.kind ?? 'fixed',
  };
}

function toExpiresAt(
  body: { expires_in?: string | number | undefined; expires_at?: number | null | undefined },
  now: number,
): number | null | undefined {
  if (body.expires_in !== undefined && body.expires_at !== undefined) {
    throw OAuthError.invalidRequest('Give expires_in or expires_at, not both');
  }
  if (body.expires_in !== undefined) {
    const ttl = seconds(body.expires_in, 'expires_in');
    if (ttl === 0) {
      throw OAuthError.invalidRequest('expires_in must be longer than 0 seconds');
    }
    return now + ttl;
  }
  return body.expires_at;
}

function editableFields(body: z.output<typeof updateApiKeyBody>, now: number): ApiKeyUpdate {
  const update: ApiKeyUpdate = {};
  if (body.name !== undefined) {
    update.name = body.name;
  }
  if (body.scope !== undefined) {
    update.scope = toScope(body.scope);
  }
  if (body.audiences !== undefined) {
    update.audiences = body.audiences;
  }
  if (body.meta !== undefined) {
    update.meta = body.meta;
  }
  if (body.rate_limit !== undefined) {
    update.rateLimit = toRateLimit(body.rate_limit);
  }
  const expiresAt = toExpiresAt(body, now);
  if (expiresAt !== undefined) {
    update.expiresAt = expiresAt;
  }
  if (body.anomaly_policy !== undefined) {
    update.anomalyPolicy = body.anomaly_policy;
  }
  return update;
}

export function toNewApiKey(body: z.output<typeof createApiKeyBody>, now: number): NewApiKeyInput {
  const { owner, name, dpop_jkt: dpopJkt, ...rest } = body;
  return { ...editableFields(rest, now), name, owner, ...(dpopJkt === undefined ? {} : { dpopJkt }) };
}

export function toApiKeyUpdate(body: z.output<typeof updateApiKeyBody>, now: number): ApiKeyUpdate {
  if (Object.keys(body).length === 0) {
    throw OAuthError.invalidRequest(
      'Nothing to update: give name, scope, audiences, meta, rate_limit, expires_in, expires_at or anomaly_policy',
    );
  }
  return editableFields(body, now);
}

export function toRotateGrace(body: z.output<typeof rotateApiKeyBody>): number | undefined {
  return body?.grace === undefined ? undefined : seconds(body.grace, 'grace');
}

export const listApiKeysQuery = z.strictObject({
  owner: z.string().max(100).optional().meta({ description: 'Only keys of this client or user.' }),
  anomalous: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: only keys with open anomaly alerts.' }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .optional()
    .meta({ description: `Page size, 1 to ${MAX_API_KEY_PAGE} (default 50).` }),
  cursor: z.string().max(512).optional().meta({ description: 'The next value of the previous page.' }),
});

/**
 * The admin scope vocabulary: `<area>:read` and `<area>:write` per area of the admin API, plus
 * `admin` for everything. `write` implies `read` of the same area.
 */
export const ADMIN_AREAS = [
  'clients',
  'api_keys',
  'users',
  'signing_keys',
  'tokens',
  'admin_tokens',
  'risk',
  'audit',
  'stats',
] as const;

export type AdminArea = (typeof ADMIN_AREAS)[number];

/** Every scope an admin token may carry. */
export const ADMIN_SCOPES: readonly string[] = [
  'admin',
  ...ADMIN_AREAS.flatMap((area) => [`${area}:read`, `${area}:write`]),
  // An initial access token for dynamic client registration (RFC 7591 §3): registers, nothing else.
  'clients:register',
];

/** Every area's `read` scope: what a read-only operator holds (`--admin-read-only`). */
export const ADMIN_READ_SCOPES: readonly string[] = ADMIN_AREAS.map((area) => `${area}:read`);

/** The scopes named, deduplicated; throws a TypeError naming the first unknown one. */
export function parseAdminScopes(scopes: readonly string[]): string[] {
  const out = [...new Set(scopes.map((s) => s.trim()).filter((s) => s.length > 0))];
  const unknown = out.find((s) => !ADMIN_SCOPES.includes(s));
  if (unknown !== undefined) {
    throw new TypeError(`Unknown admin scope "${unknown}": use ${ADMIN_SCOPES.join(', ')}`);
  }
  if (out.length === 0) {
    throw new TypeError('At least one admin scope is required');
  }
  return out;
}

/** True when `granted` covers `required` (`admin`, or `<area>:read|write`). */
export function allowsAdminScope(granted: readonly string[], required: string): boolean {
  if (granted.includes('admin') || granted.includes(required)) {
    return true;
  }
  if (required === 'clients:register') {
    return granted.includes('clients:write');
  }
  const [area, access] = required.split(':');
  return access === 'read' && granted.includes(`${area}:write`);
}

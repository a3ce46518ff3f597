/**
 * Shapes of the ids that name an owner: clients (`cli_…`) and users (`usr_…`), as minted by
 * `newId()` (prefix + 16 random bytes in base64url). Checking the shape first lets the admin API
 * answer 404 for garbage without a database lookup, and lets other features (API keys, users)
 * validate an `owner` field the same way.
 */
import { OAuthError } from '@tessera/protocol';

const CLIENT_ID_RE = /^cli_[A-Za-z0-9_-]{22}$/;
const USER_ID_RE = /^usr_[A-Za-z0-9_-]{22}$/;

export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID_RE.test(value);
}

export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_RE.test(value);
}

const DID_RE = /^did:[a-z0-9]+:[A-Za-z0-9._%:-]+$/;
const MAX_EXTERNAL_ID = 2048;

/**
 * A client id chosen outside Tessera: a DID, or an HTTPS URL (a Client ID Metadata Document).
 * An admin may store a client under such an id to pre-register it with more rights, or block it.
 */
export function isExternalClientId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_EXTERNAL_ID) {
    return false;
  }
  if (DID_RE.test(value)) {
    return true;
  }
  if (!value.startsWith('https://')) {
    return false;
  }
  try {
    const url = new URL(value);
    return url.hash === '' && url.username === '' && url.password === '' && url.href === value;
  } catch {
    return false;
  }
}

/** Any id a stored client may have: minted (`cli_…`) or external. */
export function isStoredClientId(value: unknown): value is string {
  return isClientId(value) || isExternalClientId(value);
}

/** An owner of an API key or a session: a client or a user. */
export function isOwnerId(value: unknown): value is string {
  return isClientId(value) || isUserId(value);
}

/**
 * Returns `value` when it is a client or user id, else throws `invalid_request` naming `field`.
 * (Whether the owner exists is the caller's lookup: `clients.get(id)` throws `not_found`.)
 */
export function parseOwnerId(value: unknown, field = 'owner'): string {
  if (!isOwnerId(value)) {
    throw OAuthError.invalidRequest(`${field} must be a client id (cli_...) or a user id (usr_...)`);
  }
  return value;
}

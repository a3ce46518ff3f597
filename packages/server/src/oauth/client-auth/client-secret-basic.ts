/**
 * `client_secret_basic` (RFC 6749 §2.3.1): `Authorization: Basic base64(id ":" secret)`, where id and
 * secret are each `application/x-www-form-urlencoded` first (Appendix B). Anything malformed is an
 * authentication failure, answered with `invalid_client` and a Basic challenge (RFC 6749 §5.2). The
 * secret may be empty (`base64(id ":")`, what oidc-agent sends for a public client).
 */
import { OAuthError } from '@tessera/protocol';

export interface ClientCredentials {
  clientId: string;
  secret: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when an `Authorization` header is present and uses the Basic scheme (RFC 7617 §2: the scheme
 * name is case-insensitive). The one test of the scheme, for client authentication and for the
 * `WWW-Authenticate: Basic` challenge its failures carry (RFC 6749 §5.2).
 */
export function isBasicAuthorization(header: string | undefined): header is string {
  return header !== undefined && /^basic(?: |$)/i.test(header);
}

/** RFC 6749 Appendix B: form-urlencoding decode (`+` is a space, escapes must be valid UTF-8). */
function decodeFormComponent(text: string): string {
  // Client ids and Tessera's secrets rarely need it: skip the regex and the decoder then.
  if (!text.includes('%') && !text.includes('+')) {
    return text;
  }
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function malformed(cause: string): OAuthError {
  return OAuthError.invalidClient('Malformed HTTP Basic client credentials', { cause });
}

export function parseBasicCredentials(header: string): ClientCredentials {
  const encoded = header.slice(6).trim();
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    throw malformed('not base64');
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw malformed('not UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw malformed('no colon');
  }
  let clientId: string;
  let secret: string;
  try {
    clientId = decodeFormComponent(decoded.slice(0, colon));
    secret = decodeFormComponent(decoded.slice(colon + 1));
  } catch {
    throw malformed('bad percent-encoding');
  }
  if (clientId.length === 0) {
    throw malformed('empty client id');
  }
  // An empty password is kept: it means no secret at all, which the authenticator treats as `none`.
  return { clientId, secret };
}

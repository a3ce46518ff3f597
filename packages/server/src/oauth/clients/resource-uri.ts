/** RFC 8707 §2: what may name a resource (an audience a client may ask for). */

const MAX_URI_LENGTH = 2000;

/**
 * Returns why `uri` cannot be a resource indicator, or undefined: "an absolute URI ... MUST NOT
 * include a fragment component" (RFC 8707 §2). The string is kept as given, because it becomes the
 * token's `aud` and verifiers compare it byte for byte.
 */
export function findResourceUriProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > MAX_URI_LENGTH) {
    return `must be 1 to ${MAX_URI_LENGTH} characters`;
  }
  if (!/^[\x21-\x7E]+$/.test(uri)) {
    return 'must be printable ASCII without spaces';
  }
  try {
    new URL(uri);
  } catch {
    return 'must be an absolute URI such as https://api.example.com (RFC 8707 section 2)';
  }
  if (uri.includes('#')) {
    return 'must not contain a fragment (RFC 8707 section 2)';
  }
  return undefined;
}

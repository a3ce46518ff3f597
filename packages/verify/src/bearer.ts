/**
 * Where a token comes from (RFC 6750 §2): the `Authorization: Bearer` header (§2.1) always; the
 * form-encoded body (§2.2) and the `access_token` query parameter (§2.3) only when the API enables
 * them; and an API-key header such as `X-API-Key` for Tessera API keys. A request that uses more
 * than one method is refused with `invalid_request` (RFC 6750 §2: "MUST NOT use more than one").
 */
import { OAuthError } from '@tessera/protocol';

/**
 * How the token reached the API.
 *
 * @example
 * ```ts
 * const from: TokenSource = token.source; // 'header' | 'body' | 'query' | 'api_key_header'
 * ```
 */
export type TokenSource = 'header' | 'body' | 'query' | 'api_key_header';

/**
 * A framework-neutral view of a request: what token extraction reads. The adapters build one;
 * you may too, for a framework without an adapter.
 *
 * @example
 * ```ts
 * const view: RequestView = {
 *   method: req.method,
 *   header: (name) => req.get(name),
 *   query: (name) => new URL(req.url, 'http://x').searchParams.getAll(name),
 * };
 * await verifier.verify(view);
 * ```
 */
export interface RequestView {
  /** The HTTP method (RFC 6750 §2.2: a body token needs a method with body semantics, not GET). */
  method?: string | undefined;
  /**
   * The request URL as the client addressed it, absolute (`https://api.example.com/cookies`), or
   * its path when the verifier is configured with `dpop.publicOrigin`: what a DPoP proof's `htu`
   * must name (RFC 9449 §4.3). The adapters fill it in.
   */
  url?: string | undefined;
  /** One header by lower-case name; repeated headers joined with `, ` or undefined when absent. */
  header(name: string): string | undefined;
  /** Every value of one query parameter (only read when query tokens are enabled). */
  query?(name: string): readonly string[];
  /**
   * Every value of one form-body parameter, or undefined when the body is not
   * `application/x-www-form-urlencoded` or was not read (only called when body tokens are enabled).
   */
  form?(name: string): readonly string[] | undefined | Promise<readonly string[] | undefined>;
  /**
   * The caller's address as the framework sees it (its trust-proxy setting applied), sent with an
   * API key's verification for the key's anomaly policy (`apiKeyContext`). The adapters fill it in.
   */
  clientIp?: string | undefined;
  /**
   * The route pattern the framework matched (`/orders/:id`), when it knows one: the endpoint an API
   * key was used on, for the key's anomaly policy. The Fastify, Express and Hono adapters fill it in.
   */
  route?: string | undefined;
}

/**
 * Which sources {@link extractToken} accepts.
 *
 * @example
 * ```ts
 * const sources: TokenSourceOptions = { body: false, query: false, apiKeyHeader: 'x-api-key' };
 * ```
 */
export interface TokenSourceOptions {
  /** RFC 6750 §2.2 form-encoded body parameter `access_token`. Default false. */
  body: boolean;
  /** RFC 6750 §2.3 URI query parameter `access_token`. Default false: URLs end up in logs. */
  query: boolean;
  /** Lower-case name of the API-key header (e.g. `x-api-key`), or false for none. */
  apiKeyHeader: string | false;
}

/** A token and where it came from. */
export interface ExtractedToken {
  token: string;
  source: TokenSource;
  /** `dpop` when the header used the RFC 9449 §7.1 `DPoP` scheme (a proof must come with it). */
  scheme?: 'dpop' | undefined;
}

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/**
 * RFC 6750 §2.1 `"Bearer" 1*SP b64token`, and RFC 9449 §7.1 `"DPoP" 1*SP token68`; the scheme is
 * case-insensitive (RFC 9110 §11.1).
 */
const BEARER = /^(Bearer|DPoP) +(\S*)$/i;
const SCHEME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+(?: |$)/;

/**
 * Reads the bearer token of an `Authorization` header value. Returns undefined when the header is
 * absent or uses another scheme (e.g. `Basic`): that is "no bearer credentials", not an error.
 *
 * @example
 * ```ts
 * parseAuthorizationHeader('Bearer eyJhbGciOi…'); // 'eyJhbGciOi…'
 * parseAuthorizationHeader('Basic dXNlcjpwYXNz'); // undefined
 * ```
 */
export function parseAuthorizationHeader(value: string | undefined): string | undefined {
  const found = parseAuthorization(value);
  return found?.scheme === undefined ? found?.token : undefined;
}

/** The Bearer or DPoP token of an `Authorization` value; undefined for absent or another scheme. */
export function parseAuthorization(
  value: string | undefined,
): { token: string; scheme?: 'dpop' | undefined } | undefined {
  if (value === undefined || value.length === 0) {
    return undefined;
  }
  const match = BEARER.exec(value.trim());
  if (match === null) {
    if (/^(?:Bearer|DPoP)(?:\s|$)/i.test(value.trim()) || !SCHEME.test(value.trim())) {
      throw OAuthError.invalidRequest('The Authorization header is malformed');
    }
    return undefined;
  }
  const token = match[2] ?? '';
  if (!B64TOKEN.test(token)) {
    throw OAuthError.invalidRequest('The Authorization header is malformed');
  }
  return match[1]?.toLowerCase() === 'dpop' ? { token, scheme: 'dpop' } : { token };
}

/** One value of a parameter, or invalid_request when it is repeated or not a b64token. */
function singleParameter(values: readonly string[] | undefined, where: string): string | undefined {
  if (values === undefined || values.length === 0) {
    return undefined;
  }
  const [value] = values;
  if (values.length > 1 || value === undefined) {
    throw OAuthError.invalidRequest(`The access_token ${where} parameter is repeated`);
  }
  if (value.length === 0) {
    return undefined;
  }
  if (!B64TOKEN.test(value)) {
    throw OAuthError.invalidRequest(`The access_token ${where} parameter is malformed`);
  }
  return value;
}

/** RFC 6750 §2.2: only methods with defined body semantics carry a form-body token. */
function mayHaveFormBody(method: string | undefined): boolean {
  const upper = method?.toUpperCase();
  return upper !== 'GET' && upper !== 'HEAD' && upper !== 'OPTIONS';
}

/**
 * Finds the one token a request carries, or undefined when it carries none. Throws
 * `invalid_request` when it uses more than one method (RFC 6750 §2) or a malformed one.
 *
 * @example
 * ```ts
 * const found = await extractToken(view, { body: false, query: false, apiKeyHeader: 'x-api-key' });
 * if (found === undefined) { // no credentials: 401 with a bare challenge (RFC 6750 §3.1) }
 * ```
 */
export async function extractToken(
  view: RequestView,
  options: TokenSourceOptions,
): Promise<ExtractedToken | undefined> {
  const found: ExtractedToken[] = [];
  const header = parseAuthorization(view.header('authorization'));
  if (header !== undefined) {
    found.push({ source: 'header', ...header });
  }
  if (options.apiKeyHeader !== false) {
    const key = view.header(options.apiKeyHeader)?.trim();
    if (key !== undefined && key.length > 0) {
      if (!B64TOKEN.test(key)) {
        throw OAuthError.invalidRequest('The API key header is malformed');
      }
      found.push({ token: key, source: 'api_key_header' });
    }
  }
  if (options.query && view.query !== undefined) {
    const value = singleParameter(view.query('access_token'), 'query');
    if (value !== undefined) {
      found.push({ token: value, source: 'query' });
    }
  }
  if (options.body && view.form !== undefined && mayHaveFormBody(view.method)) {
    const value = singleParameter(await view.form('access_token'), 'body');
    if (value !== undefined) {
      found.push({ token: value, source: 'body' });
    }
  }
  if (found.length > 1) {
    throw OAuthError.invalidRequest('The request presents more than one token (RFC 6750 section 2)');
  }
  return found[0];
}

/**
 * True when a content type is `application/x-www-form-urlencoded` (RFC 6750 §2.2).
 *
 * @example
 * ```ts
 * isFormContentType('application/x-www-form-urlencoded; charset=utf-8'); // true
 * ```
 */
export function isFormContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(value);
}

/**
 * The {@link RequestView} of a web `Request` (Fetch API): Hono, Bun, Deno, Cloudflare Workers.
 * The body is read from a clone, and only when body tokens are enabled and it is form-encoded.
 *
 * @example
 * ```ts
 * const token = await verifier.verify(requestViewOf(request));
 * ```
 */
export function requestViewOf(request: Request): RequestView {
  let url: URL | undefined;
  let form: Promise<URLSearchParams | undefined> | undefined;
  return {
    method: request.method,
    url: request.url,
    header: (name) => request.headers.get(name) ?? undefined,
    query(name) {
      url ??= new URL(request.url);
      return url.searchParams.getAll(name);
    },
    async form(name) {
      form ??= isFormContentType(request.headers.get('content-type') ?? undefined)
        ? request
            .clone()
            .text()
            .then((text) => new URLSearchParams(text))
        : Promise.resolve(undefined);
      return (await form)?.getAll(name);
    },
  };
}

/**
 * `@tessera/verify/node`: protect plain `node:http` handlers. Also the base of the Express
 * adapter (an Express request is an `IncomingMessage`).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createVerifier } from '@tessera/verify';
 * import { protect } from '@tessera/verify/node';
 *
 * const verifier = createVerifier({ issuer: 'http://localhost:4000', audience: 'http://localhost:3000' });
 * createServer(
 *   protect(verifier, (req, res, token) => res.end(`hello ${token.subject}`), { scope: 'cookies:read' }),
 * ).listen(3000);
 * ```
 *
 * @packageDocumentation
 */
/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isFormContentType, type RequestView } from '../bearer.js';
import type { Verifier, VerifyOptions } from '../create-verifier.js';
import { type ResourceMetadataOptions, resourceMetadata } from '../resource-metadata.js';
import { successHeadersOf } from '../success-headers.js';
import type { VerifiedToken } from '../verified-token.js';
import { VerifyError } from '../verify-error.js';

/** Route options of the adapters. */
export interface ProtectOptions extends VerifyOptions {}

/** A request an adapter reads, possibly with a body some middleware already parsed. */
export type NodeRequest = IncomingMessage & { body?: unknown };

/** Largest form body read to find an `access_token` (RFC 6750 §2.2); larger bodies are not read. */
const MAX_FORM_BYTES = 64 * 1024;

/** Values of one parameter of a parsed body: URLSearchParams or `{ name: string | string[] }`. */
function formValuesOf(body: unknown, name: string): readonly string[] | undefined {
  if (body instanceof URLSearchParams) {
    return body.getAll(name);
  }
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const value = (body as Record<string, unknown>)[name];
  if (value === undefined) {
    return [];
  }
  if (typeof value === 'string') {
    return [value];
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value;
  }
  return ['\0'];
}

/**
 * Reads a form-encoded body nobody has read yet, and leaves it on `req.body` as URLSearchParams
 * for the handler. Bodies over 64 KiB are left alone (no token is looked for there).
 */
async function readForm(req: NodeRequest): Promise<URLSearchParams | undefined> {
  if (req.readableEnded || req.readableDidRead) {
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_FORM_BYTES) {
      return undefined;
    }
    chunks.push(buffer);
  }
  const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  req.body = params;
  return params;
}

/**
 * The {@link RequestView} of a Node request. With body tokens enabled and a form-encoded body
 * that no middleware parsed, the body is read here and left on `req.body` as URLSearchParams.
 *
 * @example
 * ```ts
 * const token = await verifier.verify(requestViewOfNode(req));
 * ```
 */
export function requestViewOfNode(req: NodeRequest): RequestView {
  let url: URL | undefined;
  return {
    method: req.method,
    url: absoluteUrlOf(req),
    clientIp: clientIpOf(req),
    route: routeOf(req),
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    query(name) {
      url ??= new URL(req.url ?? '/', 'http://localhost');
      return url.searchParams.getAll(name);
    },
    async form(name) {
      const type = req.headers['content-type'];
      if (!isFormContentType(type)) {
        return undefined;
      }
      if (req.body !== undefined) {
        return formValuesOf(req.body, name);
      }
      return (await readForm(req))?.getAll(name);
    },
  };
}

/** Express's `req.ip` (its trust-proxy setting applied), else the socket's peer address. */
function clientIpOf(req: NodeRequest): string | undefined {
  const ip = (req as { ip?: unknown }).ip;
  return typeof ip === 'string' ? ip : req.socket?.remoteAddress;
}

/** Express's matched route (`baseUrl` + `route.path`) when the middleware runs on a route. */
function routeOf(req: NodeRequest): string | undefined {
  const { route, baseUrl } = req as { route?: { path?: unknown }; baseUrl?: unknown };
  return typeof route?.path === 'string'
    ? `${typeof baseUrl === 'string' ? baseUrl : ''}${route.path}`
    : undefined;
}

/**
 * The URL the request was sent to, as this server sees it (RFC 9449 §4.3 `htu`): the TLS state of
 * the socket, the Host header and the path (Express's `originalUrl` when mounted). Behind a proxy,
 * set the verifier's `dpop.publicOrigin`, which replaces the origin.
 */
function absoluteUrlOf(req: NodeRequest): string {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${path}`;
}

/**
 * Writes a refusal: status, `WWW-Authenticate` (RFC 6750 §3), `Cache-Control: no-store`, JSON.
 *
 * @example
 * ```ts
 * sendVerifyError(res, VerifyError.from(error, verifier.realm));
 * ```
 */
export function sendVerifyError(res: ServerResponse, error: VerifyError): void {
  const { status, headers, body } = error.toResponse();
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Verifies the request; on failure answers it and resolves undefined, on success sets the
 * success headers and resolves the token.
 *
 * @example
 * ```ts
 * const token = await authenticate(verifier, req, res, { scope: 'cookies:read' });
 * if (token === undefined) return; // already answered
 * ```
 */
export async function authenticate(
  verifier: Verifier,
  req: NodeRequest,
  res: ServerResponse,
  options: ProtectOptions = {},
): Promise<VerifiedToken | undefined> {
  try {
    const token = await verifier.verify(requestViewOfNode(req), options);
    for (const [name, value] of Object.entries(successHeadersOf(token))) {
      res.setHeader(name, value);
    }
    return token;
  } catch (error) {
    sendVerifyError(res, VerifyError.from(error, verifier.realm));
    return undefined;
  }
}

/**
 * Wraps a `node:http` handler so it runs only for a verified request.
 *
 * @example
 * ```ts
 * const handler = protect(verifier, (req, res, token) => res.end(token.subject), { scope: 'cookies:read' });
 * ```
 */
export function protect(
  verifier: Verifier,
  handler: (req: NodeRequest, res: ServerResponse, token: VerifiedToken) => void | Promise<void>,
  options: ProtectOptions = {},
): (req: NodeRequest, res: ServerResponse) => Promise<void> {
  return async function protectedHandler(req, res) {
    const token = await authenticate(verifier, req, res, options);
    if (token !== undefined) {
      await handler(req, res, token);
    }
  };
}

/**
 * A handler serving the Protected Resource Metadata document (RFC 9728 §3.2: 200, JSON). Mount it
 * at `resourceMetadataPath(resource)`; it also works as an Express handler.
 *
 * @example
 * ```ts
 * const metadata = serveResourceMetadata({ resource: 'https://api.example.com', authorizationServers: [issuer] });
 * createServer((req, res) => (req.url === '/.well-known/oauth-protected-resource' ? metadata(req, res) : api(req, res)));
 * ```
 */
export function serveResourceMetadata(
  options: ResourceMetadataOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const body = JSON.stringify(resourceMetadata(options));
  return (_req, res) => {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'public, max-age=3600');
    res.end(body);
  };
}

/// <reference types="node" />
/**
 * Shared by the Express and Fastify adapters: a Node `IncomingMessage`-like request as a
 * {@link BffRequest}, with a size-limited body reader (the proxy reads the body only on its routes).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { BffRequest } from './bff.js';
import type { HeaderView } from './csrf.js';

/**
 * Largest request body the proxy forwards (bytes); larger ones get 413.
 *
 * @example
 * ```ts
 * const body = await readBody(req, MAX_PROXY_BODY);
 * ```
 */
export const MAX_PROXY_BODY = 1024 * 1024;

/**
 * Flattens Node's headers (repeated values joined with `, `).
 *
 * @example
 * ```ts
 * headerViewOf(req.headers)['x-requested-with'];
 * ```
 */
export function headerViewOf(headers: IncomingHttpHeaders): HeaderView {
  const view: HeaderView = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      view[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return view;
}

/**
 * Reads a stream into bytes, refusing more than `limit` bytes.
 *
 * @example
 * ```ts
 * const body = await readBody(req, MAX_PROXY_BODY);
 * ```
 */
export async function readBody(stream: Readable, limit = MAX_PROXY_BODY): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) {
      throw new RangeError('request body too large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Builds a {@link BffRequest}.
 *
 * @example
 * ```ts
 * const request = bffRequestOf(req.method, req.originalUrl, req.headers, () => readBody(req));
 * ```
 */
export function bffRequestOf(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: () => Promise<Uint8Array | undefined>,
): BffRequest {
  return { method, url, headers: headerViewOf(headers), body };
}

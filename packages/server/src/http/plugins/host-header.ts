/**
 * RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
 * request message that lacks a Host header field and to any request message that contains more
 * than one Host header field line or a Host header field with an invalid field value." Node refuses
 * a missing Host itself (`requireHostHeader`) but keeps the first of two and accepts any bytes; this
 * hook refuses the rest, before routing, and closes the connection (a request that lies about its
 * framing or target may lie about the next one too).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * RFC 9110 §7.2 / RFC 3986 §3.2.2: `uri-host [ ":" port ]`, where uri-host is a reg-name (unreserved,
 * pct-encoded and sub-delims characters), an IPv4 address, or an IP literal in brackets.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?$/;

/** True when `value` is a valid Host field value (an empty one is allowed only without a port). */
export function isValidHost(value: string): boolean {
  return value.length > 0 && value.length <= 255 && HOST.test(value);
}

/** The number of Host field lines the client sent (Node keeps only the first in `headers`). */
function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    // Names keep the client's case; only four-letter ones are lowered (no string per field line).
    const name = rawHeaders[index];
    if (name?.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) {
      count++;
    }
  }
  return count;
}

/**
 * Throws `invalid_request` (and marks the connection for closing) for a request whose Host field is
 * missing in form, repeated or invalid. Synchronous: it runs in the one global onRequest hook
 * (request-guard.ts), before routing is acted on.
 */
export function checkHostHeader(request: FastifyRequest, reply: FastifyReply): void {
  // HTTP/2 carries :authority instead; Node fills `host` from it.
  if (request.raw.httpVersionMajor !== 1) {
    return;
  }
  const lines = hostLines(request.raw.rawHeaders);
  const host = request.headers.host;
  if (lines > 1 || (lines === 1 && (host === undefined || !isValidHost(host)))) {
    reply.header('connection', 'close');
    throw OAuthError.invalidRequest(
      lines > 1 ? 'The request has more than one Host header' : 'The Host header is not valid',
    );
  }
}

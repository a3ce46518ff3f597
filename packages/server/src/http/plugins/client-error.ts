/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a request target or headers over
 * 16 KiB, bad framing, a header timeout) are answered here, the one place for them: the RFC 6749
 * §5.2 JSON body with `invalid_request`, `Connection: close`, and the socket ended only after the
 * response is written (RFC 9112 §9.6: a server that closes says so, so a client that pipelined the
 * next request knows to send it again). Fastify's default writes no `Connection: close` and destroys
 * the socket at once, so the answer and any pipelined request could be lost.
 *
 * The parser's error carries the raw bytes it choked on (`rawPacket`: the request line, so a URL
 * with its query): only the error code is logged.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

interface ClientError extends Error {
  code?: string;
}

/** What the refusal says, by the parser's error code. */
function statusOf(code: string | undefined): { status: number; description: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, description: 'The request was not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, description: 'The request target or headers are larger than 16 KiB' };
    default:
      return { status: 400, description: 'The request is not valid HTTP/1.1' };
  }
}

/** The full response for a parser error, as bytes ready to write. */
export function clientErrorResponse(code: string | undefined): string {
  const { status, description } = statusOf(code);
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** Longest a refusal waits for the responses still owed to earlier requests on the connection. */
const DRAIN_BOUND_MS = 10_000;

type HttpSocket = Duplex & {
  _httpMessage?:
    | (NodeJS.EventEmitter & {
        writableFinished?: boolean;
        headersSent?: boolean;
        req?: { complete?: boolean };
      })
    | null;
};

/**
 * Calls `done` once no response is being written on the socket: requests pipelined before the bad
 * one are answered first, in order (RFC 9112 §9.3.2), then the refusal. Gives up after the bound.
 * When the bad bytes are the body of the request being served (a broken chunk, a body not received
 * in time), its response cannot come, since it waits for that body: the refusal is that response.
 */
function whenIdle(socket: HttpSocket, done: () => void, giveUp: () => void): void {
  const bound = setTimeout(giveUp, DRAIN_BOUND_MS);
  bound.unref();
  const check = () => {
    const current = socket._httpMessage;
    if (
      current === undefined ||
      current === null ||
      current.writableFinished === true ||
      (current.req?.complete === false && current.headersSent !== true)
    ) {
      clearTimeout(bound);
      done();
      return;
    }
    current.once('finish', () => setImmediate(check));
  };
  check();
}

/** The part of a logger this handler uses. */
interface ClientErrorLog {
  debug(object: Record<string, unknown>, message: string): void;
}

/**
 * Fastify's `clientErrorHandler` (Node's `clientError` event). Bound to the Fastify instance, so
 * `this.log` is the app's logger.
 */
export function clientErrorHandler(this: { log: ClientErrorLog }, error: ClientError, socket: Duplex): void {
  // A reset connection, or one already gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const { status } = statusOf(error.code);
  this.log.debug({ code: error.code, status }, 'client error');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Never write into a response still being written: answer after the ones owed, then end(),
  // which writes the whole refusal and only then closes our side.
  whenIdle(
    socket as HttpSocket,
    () => {
      if (socket.writable) {
        socket.end(clientErrorResponse(error.code));
      } else {
        socket.destroy();
      }
    },
    () => socket.destroy(),
  );
}

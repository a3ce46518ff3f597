/**
 * The JSON logger (pino). Secrets never reach it: credentials in headers are redacted, and a logged
 * URL is its path only, never its query (STYLE §9.10 habit 9).
 */
import { type Logger, pino } from 'pino';

/**
 * Where a request target stops being a path: the query (`?`), path parameters (`;`), a fragment, or
 * any of those percent-encoded. Everything from there on may carry a credential in any spelling
 * (`client%5Fsecret=`, `client_secret%3D…`, `;client_secret=`, `client_secret[]=`), so none of it
 * is logged.
 */
const END_OF_PATH = /[?;#]|%3[fb]|%23/i;

/** Longest path logged; a longer one is cut and marked. */
const MAX_LOGGED_PATH = 256;

/**
 * The part of a request target that is safe to log: the path before any query, path parameters or
 * fragment (raw or percent-encoded), cut to 256 characters. The query is dropped, not masked:
 * masking by parameter name misses every other spelling of the name.
 */
export function redactUrl(url: string): string {
  const end = url.search(END_OF_PATH);
  const path = end === -1 ? url : url.slice(0, end);
  const cut = path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
  return end === -1 ? cut : `${cut}?[query not logged]`;
}

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.client_secret',
          '*.secret',
          '*.token',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req(request: { method: string; url: string; id: string; ip?: string }) {
          return { id: request.id, method: request.method, url: redactUrl(request.url), ip: request.ip };
        },
      },
    },
    options.destination ?? process.stdout,
  );
}

export type { Logger };

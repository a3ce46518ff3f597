/**
 * The JSON logger (pino). Secrets never reach it: credentials in headers are redacted, and known
 * secret-bearing query parameters are masked in logged URLs (STYLE §9.10 habit 9).
 */
import { type Logger, pino } from 'pino';

const SECRET_PARAMS =
  /([?&](?:code|access_token|refresh_token|id_token_hint|client_secret|token|password|client_assertion)=)[^&#]*/gi;

/** A URL with secret-bearing query values replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
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

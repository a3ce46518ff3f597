/**
 * `metrics.listen`: `GET /metrics` on an address of its own (a port the load balancer does not
 * expose), answered by a bare node:http server so that scraping never shares the public port's
 * limits, and under `serve --workers N` by the primary, which has no Fastify app. Anything else
 * answers 404; with `metrics.token` a scrape without it answers 401 (RFC 6750 §3).
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';
import { type MetricsSource, presentsMetricsToken } from './plugins/metrics.js';

export interface MetricsListener {
  /** `http://host:port` it listens on (the port the OS picked when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

export async function listenMetrics(options: {
  host: string;
  port: number;
  source: MetricsSource;
  token?: string | undefined;
  logger: Logger;
}): Promise<MetricsListener> {
  const { source, token, logger } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const json = (status: number, body: object, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...headers,
      });
      response.end(JSON.stringify(body));
    };
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      json(404, { error: 'not_found', error_description: 'Only GET /metrics is served here' });
      return;
    }
    if (token !== undefined && !presentsMetricsToken(request.headers.authorization, token)) {
      json(
        401,
        { error: 'invalid_token', error_description: 'GET /metrics needs the metrics token (metrics.token)' },
        { 'www-authenticate': 'Bearer realm="metrics", error="invalid_token"' },
      );
      return;
    }
    source.scrape().then(
      (text) => {
        response.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.warn({ err: error }, 'metrics scrape failed');
        json(503, {
          error: 'temporarily_unavailable',
          error_description: 'The metrics could not be collected',
        });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

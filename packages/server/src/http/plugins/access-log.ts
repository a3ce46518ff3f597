/**
 * One log line per request, at the end: `info` when the answer is an error (status ≥ 400), `debug`
 * otherwise. Fastify's default logs two `info` lines per request, which at token-endpoint rates costs
 * more CPU than the signature; metrics count every request anyway.
 *
 * Answers that shed load ({@link markShed}: a sign-in refused because every password check is
 * taken) are not logged one by one: under a flood they come by the thousand a second, and their
 * line (the request serialised, redacted and written synchronously) cost a refusal about as much as
 * the page it sends. They are counted per route and logged as one `info` line a second with the
 * count, and at `debug` one by one as before.
 */

import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';

/** How often the count of shed answers is logged, at most. */
const SHED_LOG_INTERVAL_MS = 1000;

const shed = new WeakSet<FastifyReply>();

/** Marks an answer that sheds load: logged in the per-second count instead of on its own. */
export function markShed(reply: FastifyReply): void {
  shed.add(reply);
}

interface ShedCount {
  method: string;
  route: string;
  statusCode: number;
  count: number;
}

export class AccessLogController extends LogController {
  readonly #shed = new Map<string, ShedCount>();
  #logger: FastifyBaseLogger | undefined;
  #timer: NodeJS.Timeout | undefined;

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error !== null && error !== undefined) {
      reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else if (shed.has(reply) && reply.log.level !== 'debug' && reply.log.level !== 'trace') {
      this.#countShed(reply);
    } else if (reply.statusCode >= 400) {
      reply.log.info(
        { req: reply.request, res: reply, responseTime: reply.elapsedTime },
        'request completed',
      );
    } else if (reply.log.level === 'debug' || reply.log.level === 'trace') {
      reply.log.debug(
        { req: reply.request, res: reply, responseTime: reply.elapsedTime },
        'request completed',
      );
    }
  }

  #countShed(reply: FastifyReply): void {
    const method = reply.request.method;
    const route = reply.request.routeOptions.url ?? reply.request.url;
    const key = `${reply.statusCode} ${method} ${route}`;
    const counted = this.#shed.get(key);
    if (counted === undefined) {
      this.#shed.set(key, { method, route, statusCode: reply.statusCode, count: 1 });
    } else {
      counted.count += 1;
    }
    this.#logger ??= reply.server.log;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flushShed(), SHED_LOG_INTERVAL_MS);
      this.#timer.unref();
    }
  }

  /** Logs the shed answers counted since the last line (on its timer, and when the app closes). */
  flushShed(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const counted of this.#shed.values()) {
      this.#logger?.info(counted, 'requests shed');
    }
    this.#shed.clear();
  }
}

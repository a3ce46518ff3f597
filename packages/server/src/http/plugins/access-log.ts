/**
 * One log line per request, at the end: `info` when the answer is an error (status ≥ 400), `debug`
 * otherwise. Fastify's default logs two `info` lines per request, which at token-endpoint rates costs
 * more CPU than the signature; metrics count every request anyway.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';

export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error !== null && error !== undefined) {
      reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
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
}

/** `/healthz`: the process is alive. `/readyz`: the store answers and signing keys are loaded. */
import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

export function registerHealth(app: FastifyInstance, checks: ReadinessCheck[]): void {
  app.get('/healthz', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    for (const { name, check } of checks) {
      try {
        await check();
      } catch {
        return reply.code(503).send({ status: 'unavailable', reason: `${name} is not ready` });
      }
    }
    return { status: 'ready' };
  });
}

/** `check`, failed when it has not passed within `ms`: a hung database must not hang /readyz. */
export function within(ms: number, check: ReadinessCheck['check']): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      Promise.resolve()
        .then(check)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
}

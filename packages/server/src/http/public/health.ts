/**
 * `/healthz`: the process is alive. `/readyz`: the store answers and signing keys are loaded; its
 * body also reports the cross-node bus (`bus: { connected, since }`), which does not decide it
 * unless `revocations.requireBusForReadiness` is set.
 */
import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

/**
 * Shown in the `/readyz` body under its name without deciding readiness: the bus connection. A node
 * whose bus is down still answers correctly (revocations reach it through the store poll, caches
 * expire), and taking every node out of the load balancer when a database blip cuts every LISTEN
 * connection at once would turn a partial fault into an outage. (`revocations.requireBusForReadiness`
 * adds the bus as a readiness check for those who prefer to fail closed.)
 */
export interface ReadinessReport {
  name: string;
  read: () => unknown;
}

function reportsOf(reports: readonly ReadinessReport[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const { name, read } of reports) {
    const value = read();
    if (value !== undefined) {
      body[name] = value;
    }
  }
  return body;
}

export function registerHealth(
  app: FastifyInstance,
  checks: ReadinessCheck[],
  reports: readonly ReadinessReport[] = [],
): void {
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
        return reply
          .code(503)
          .send({ status: 'unavailable', reason: `${name} is not ready`, ...reportsOf(reports) });
      }
    }
    return { status: 'ready', ...reportsOf(reports) };
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

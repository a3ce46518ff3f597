/**
 * The access log: one line per error answer, except answers that shed load, which are counted and
 * logged as one line a second (issue 18, `flood.login`: thousands of busy refusals a second).
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../log.js';
import { AccessLogController, markShed } from './access-log.js';
import { lazyChildLogger } from './request-logger.js';

function appLogging(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const accessLog = new AccessLogController({ requestIdLogLabel: 'requestId' });
  const app = Fastify({
    loggerInstance: createLogger({ level, destination }),
    logController: accessLog,
    childLoggerFactory: lazyChildLogger,
  });
  app.post('/busy', async (_request, reply) => {
    markShed(reply);
    return reply.code(503).header('retry-after', '1').send('busy');
  });
  app.post('/refused', async (_request, reply) => reply.code(503).send('refused'));
  app.addHook('onClose', async () => accessLog.flushShed());
  return { app, lines };
}

describe('access log', () => {
  it('shed answers are counted into one line a second, other errors still get a line each', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { app, lines } = appLogging('info');
      for (let i = 0; i < 3; i++) {
        expect((await app.inject({ method: 'POST', url: '/busy' })).statusCode).toBe(503);
      }
      expect((await app.inject({ method: 'POST', url: '/refused' })).statusCode).toBe(503);
      expect(lines.map((line) => line.msg)).toEqual(['request completed']);
      expect(lines[0]).toMatchObject({ req: { method: 'POST', url: '/refused' }, res: { statusCode: 503 } });
      vi.advanceTimersByTime(1000);
      expect(lines.slice(1)).toEqual([
        expect.objectContaining({
          level: 30,
          msg: 'requests shed',
          method: 'POST',
          route: '/busy',
          statusCode: 503,
          count: 3,
        }),
      ]);
      // The next ones start a new count; what is counted when the app closes is logged then.
      await app.inject({ method: 'POST', url: '/busy' });
      await app.close();
      expect(lines.slice(2)).toEqual([expect.objectContaining({ msg: 'requests shed', count: 1 })]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('at debug, shed answers are logged one by one as before', async () => {
    const { app, lines } = appLogging('debug');
    await app.inject({ method: 'POST', url: '/busy' });
    await app.close();
    expect(lines.filter((line) => line.msg === 'request completed')).toHaveLength(1);
    expect(lines.filter((line) => line.msg === 'requests shed')).toEqual([]);
  });
});

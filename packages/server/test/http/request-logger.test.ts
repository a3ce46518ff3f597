/**
 * The per-request logger is a pino child made only when the request logs (http/plugins/request-logger.ts).
 * What a request writes must be what an eager child wrote: the request id binding, the serialised
 * request (path only), the level, redaction; and a quiet success writes nothing at `info`.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { LazyRequestLogger, lazyChildLogger } from '../../src/http/plugins/request-logger.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN, TEST_ISSUER, TEST_MASTER_KEY } from '../support/bootstrap.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level, destination }) };
}

describe('LazyRequestLogger', () => {
  it('makes no pino child until the request logs, then writes with the request bindings', () => {
    const { lines, logger } = capture('info');
    const log = new LazyRequestLogger(logger, { requestId: 'req_1' }, {});
    expect(log.level).toBe('info');
    log.debug('below the level');
    expect(lines).toEqual([]);
    log.warn({ detail: 'x', body: { secret: 'hunter2' } }, 'something happened');
    expect(log.materialised).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, requestId: 'req_1', detail: 'x', msg: 'something happened' });
    // The parent's redaction applies to the child's lines.
    expect(lines[0]?.body).toEqual({ secret: '[redacted]' });
  });

  it('a route log level becomes the child level', () => {
    const { lines, logger } = capture('info');
    const log = new LazyRequestLogger(logger, { requestId: 'req_2' }, { level: 'warn' });
    expect(log.level).toBe('warn');
    expect(log.materialised).toBe(false);
    log.info('dropped at warn');
    expect(lines).toEqual([]);
    log.error('kept');
    expect(lines[0]).toMatchObject({ level: 50, requestId: 'req_2', msg: 'kept' });
  });
});

describe('access log through the lazy request logger', () => {
  const { lines, logger } = capture('info');
  let runtime: Runtime;

  beforeAll(async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        dev: true,
        issuer: TEST_ISSUER,
        'database.url': ':memory:',
        masterKey: TEST_MASTER_KEY,
        adminToken: TEST_ADMIN_TOKEN,
        'log.level': 'info',
      },
    });
    runtime = await createRuntime(config, {
      clock: createFixedClock(Math.floor(Date.now() / 1000)),
      logger,
    });
    await runtime.app.ready();
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('the app makes its request loggers lazily', () => {
    expect(runtime.app.childLoggerFactory).toBe(lazyChildLogger);
  });

  it('an error answer writes one line with its request id and path; a success at info writes none', async () => {
    lines.length = 0;
    const ok = await runtime.app.inject({ method: 'GET', url: '/healthz' });
    expect(ok.statusCode).toBe(200);
    expect(lines.filter((line) => line.msg === 'request completed')).toEqual([]);

    const missing = await runtime.app.inject({ method: 'GET', url: '/no-such-route?client_secret=s3cr3t' });
    expect(missing.statusCode).toBe(404);
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(1);
    const requestId = (missing.json() as { request_id?: string }).request_id;
    expect(completed[0]).toMatchObject({
      level: 30,
      req: { method: 'GET', url: '/no-such-route?[query not logged]' },
      res: { statusCode: 404 },
    });
    expect(completed[0]?.requestId).toMatch(/^req_/);
    if (requestId !== undefined) {
      expect(completed[0]?.requestId).toBe(requestId);
    }
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
  });
});

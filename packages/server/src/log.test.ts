import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('logger', () => {
  it('masks secret-bearing query parameters in URLs', () => {
    expect(redactUrl('/cb?code=abc&state=xyz')).toBe('/cb?code=[redacted]&state=xyz');
    expect(redactUrl('/api?access_token=tok&x=1&client_secret=s')).toBe(
      '/api?access_token=[redacted]&x=1&client_secret=[redacted]',
    );
    expect(redactUrl('/plain/path')).toBe('/plain/path');
  });

  it('never writes credentials from headers or secret fields', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: {
          method: 'POST',
          url: '/token?token=raw',
          id: 'req_1',
          headers: { authorization: 'Basic c2VjcmV0' },
        },
        body: { client_secret: 'tsr_cs_secret', password: 'hunter2', token: 'tsr_at_x' },
      },
      'request',
    );
    const out = lines.join('');
    for (const secret of ['c2VjcmV0', 'tsr_cs_secret', 'hunter2', 'tsr_at_x', 'token=raw']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('"url":"/token?token=[redacted]"');
  });
});

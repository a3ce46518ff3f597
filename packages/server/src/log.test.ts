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
  it.each([
    ['/cb?code=abc&state=xyz', '/cb?[query not logged]'],
    ['/api?access_token=tok&x=1&client_secret=s', '/api?[query not logged]'],
    ['/token;client_secret=s', '/token?[query not logged]'],
    ['/token?client%5Fsecret=s', '/token?[query not logged]'],
    ['/token%3Fclient_secret=s', '/token?[query not logged]'],
    ['/token%3bclient_secret=s', '/token?[query not logged]'],
    ['/token%23client_secret=s', '/token?[query not logged]'],
    ['/token#client_secret=s', '/token?[query not logged]'],
    ['/plain/path', '/plain/path'],
    [`/${'a'.repeat(300)}`, `/${'a'.repeat(255)}…`],
  ])('issue 12 item 9 — a logged URL is its path only: %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
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
    expect(out).toContain('"url":"/token?[query not logged]"');
  });
});

/**
 * The test support's `freePort`: a port a test binds later must not be taken in between by
 * another test's `listen(0)` (which once made `serve --workers 2` fail with EADDRINUSE in CI), nor
 * be handed out twice.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralLow, freePort } from './listening.js';

describe('freePort', () => {
  it('is below the ephemeral range, so listen(0) elsewhere cannot take it, and can be bound', async () => {
    const port = await freePort();
    expect(port).toBeLessThan(ephemeralLow());
    expect(port).toBeGreaterThan(1024);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('never hands out the same port twice', async () => {
    const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
  });
});

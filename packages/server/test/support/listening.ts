/**
 * A Tessera runtime listening on a real loopback port, with the issuer set to its own URL, for
 * interop tests with independent clients (openid-client, oauth4webapi, jose).
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { bootstrap, type TestServer } from './bootstrap.js';

/**
 * The lowest port the kernel hands out for `listen(0)` and outgoing connections (Linux:
 * `ip_local_port_range`, 32768 by default; elsewhere that default).
 */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const PORTS = 10_000;
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago, for a server a test starts later (often in a child process).
 * Drawn below the ephemeral range, so no `listen(0)` or outgoing connection of any other test can
 * take it in between (the kernel hands those out only inside the range; a port from `listen(0)`,
 * freed and bound again seconds later, was sometimes taken meanwhile), and never the same one
 * twice in this process (a test that takes two before starting either gets two).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = high - 1 - randomInt(PORTS);
    if (handedOut.has(port)) {
      continue;
    }
    handedOut.add(port); // before the check: concurrent calls never draw it again
    if (await canListen(port)) {
      return port;
    }
  }
  throw new Error(`no free port in ${high - PORTS}–${high - 1}`);
}

export async function listeningServer(
  overrides: Record<string, unknown> = {},
  options: Parameters<typeof bootstrap>[1] = {},
): Promise<TestServer & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await bootstrap({ issuer: url, ...overrides }, options);
  await t.app.listen({ port, host: '127.0.0.1' });
  return Object.assign(t, { url });
}

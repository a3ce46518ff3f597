/**
 * A TCP proxy of the test's own between a node and PostgreSQL, so a fault test can take the network
 * away without touching the shared PostgreSQL. `stop()` drops every byte either way, as a host that
 * stopped answering or a cut link; `resume()` forwards again. While stopped, a connection the node
 * closes stays open on PostgreSQL's side (it hears no FIN across a partition); otherwise closing
 * either side closes both.
 */
import net from 'node:net';

export interface PostgresLink {
  /** The database URL to give the node: the proxy's address, the rest as `target`. */
  readonly url: string;
  stop(): void;
  resume(): void;
  /** Closes every connection through the proxy, then the proxy. */
  close(): Promise<void>;
}

export async function startPostgresLink(target: URL): Promise<PostgresLink> {
  let stopped = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.on('close', () => stopped || outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.on('data', (chunk: Buffer) => stopped || outbound.write(chunk));
    outbound.on('data', (chunk: Buffer) => stopped || inbound.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.href,
    stop: () => {
      stopped = true;
    },
    resume: () => {
      stopped = false;
    },
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

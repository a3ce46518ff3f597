/** `tessera serve`: run the authorization server. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import closeWithGrace from 'close-with-grace';
import type { Config } from '../../config/schema.js';
import { startServer } from '../../main.js';
import { serverInfoPath } from '../admin-client.js';

export async function runServe(config: Readonly<Config>): Promise<void> {
  const server = await startServer(config);
  const infoPath = serverInfoPath(config);
  mkdirSync(dirname(infoPath), { recursive: true });
  writeFileSync(
    infoPath,
    `${JSON.stringify({ url: server.url, issuer: server.config.issuer, pid: process.pid })}\n`,
  );

  const adminWhere =
    config.adminToken !== undefined
      ? 'admin API credential: TESSERA_ADMIN_TOKEN'
      : server.config.adminToken !== undefined
        ? `admin API credential in ${relative(process.cwd(), resolve(config.dataDir, 'admin.token')) || 'admin.token'}`
        : 'admin API closed (set TESSERA_ADMIN_TOKEN)';
  const mode = config.dev ? ' [dev mode: not for production]' : '';
  process.stdout.write(
    `Tessera is listening on ${server.url} — issuer ${server.config.issuer} — ${adminWhere}${mode}\n`,
  );

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) {
      server.logger.error({ err }, 'shutting down after an error');
    } else {
      server.logger.info({ signal }, 'shutting down');
    }
    await server.close();
    rmSync(infoPath, { force: true });
  });
}

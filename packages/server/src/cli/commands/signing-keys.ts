/** `tessera signing-keys list|rotate|revoke`: through the running server's admin API. */
import type { AdminClient } from '../admin-client.js';
import { iso } from '../output.js';

interface KeyView {
  kid: string;
  alg: string;
  status: string;
  activates_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

function print(items: KeyView[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return;
  }
  for (const k of items) {
    process.stdout.write(
      `${k.kid}  ${k.alg}  ${k.status.padEnd(8)}  signs from ${iso(k.activates_at)}  retired ${iso(k.retired_at)}  unpublished ${iso(k.expires_at)}\n`,
    );
  }
}

export async function runSigningKeysList(client: AdminClient, json: boolean): Promise<void> {
  const { items } = await client.request<{ items: KeyView[] }>('GET', '/admin/signing-keys');
  print(items, json);
}

export async function runSigningKeysRotate(client: AdminClient, now: boolean, json: boolean): Promise<void> {
  const { items } = await client.request<{ items: KeyView[] }>('POST', '/admin/signing-keys/rotate', { now });
  if (!json) {
    process.stdout.write(
      now
        ? 'New key signs now (emergency rotation).\n'
        : 'New key is published now and signs after the activation delay.\n',
    );
  }
  print(items, json);
}

interface RevokeView {
  kid: string;
  alg: string;
  revoked_at: number;
  revocation_id: number;
  added: KeyView[];
}

/** Pulls a compromised key: it leaves the JWKS on every node and verifiers refuse its tokens. */
export async function runSigningKeysRevoke(
  client: AdminClient,
  kid: string,
  rotate: boolean,
  json: boolean,
): Promise<void> {
  const result = await client.request<RevokeView>(
    'POST',
    `/admin/signing-keys/${encodeURIComponent(kid)}/revoke`,
    { rotate },
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `Pulled ${result.kid} (${result.alg}): unpublished, and every token it signed is revoked.\n`,
  );
  if (result.added.length > 0) {
    process.stdout.write('Replacement that signs now:\n');
    print(result.added, false);
  }
}

/**
 * The console's own client: a first-party, confidential OAuth client (`cli_tessera_console`) that
 * the server ensures at start, like a built-in. Its secret and the console's session key are derived
 * from the master key (HKDF), so every node of a deployment derives the same ones and nothing new
 * is stored in plain text: the client row holds only the secret's SHA-256 (DESIGN §3).
 */
import { hkdfSync } from 'node:crypto';
import { formatSecret, parseSecret } from '@tessera/protocol';
import type { HttpFeature } from '../http/feature.js';
import { createConsoleFeature } from '../http/features/console.js';
import { hashSecret } from '../ids.js';
import type { ClientRecord, NewClient } from '../store/ports.js';
import { adminAudienceOf } from '../users/operator-tokens.js';
import type { Core } from './core.js';

export const CONSOLE_CLIENT_ID = 'cli_tessera_console';

export interface ConsoleSecrets {
  clientSecret: string;
  /** 32 bytes, hex: encrypts the console's sessions (AES-256-GCM, @tessera/client BFF). */
  sessionKey: string;
}

function derive(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}

export function consoleSecretsOf(masterKey: Buffer): ConsoleSecrets {
  return {
    clientSecret: formatSecret('cs', derive(masterKey, 'tessera console client secret v1')),
    sessionKey: derive(masterKey, 'tessera console sessions v1').toString('hex'),
  };
}

/** The console client as it must be for this issuer. */
function consoleClient(issuer: string, secret: string, now: number): NewClient {
  const base = issuer.replace(/\/$/, '');
  return {
    id: CONSOLE_CLIENT_ID,
    name: 'Tessera console',
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: ['openid', 'offline_access', 'admin'],
    defaultScope: [],
    audiences: [adminAudienceOf(issuer)],
    redirectUris: [`${base}/console/auth/callback`],
    postLogoutRedirectUris: [`${base}/console/`],
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenFormat: 'jwt',
    accessTokenTtl: null,
    metadata: {},
    jwks: null,
    jwksUri: null,
    idTokenSignedResponseAlg: null,
    firstParty: true,
    requireMfa: false,
    permissions: [],
    disabled: false,
    secrets: [
      {
        hash: hashSecret(secret),
        start: parseSecret(secret, 'cs')?.start ?? '',
        createdAt: now,
        expiresAt: null,
      },
    ],
  };
}

/** Creates the console client, or brings its settings and secret in line with this start. */
export async function ensureConsoleClient(core: Core, secret: string): Promise<ClientRecord> {
  const now = core.clock.now();
  const wanted = consoleClient(core.issuer, secret, now);
  const found = await core.store.findClient(CONSOLE_CLIENT_ID);
  if (found === undefined) {
    return core.store.createClient(wanted, now);
  }
  const { id: _id, secrets, ...settings } = wanted;
  let client = await core.store.updateClient(CONSOLE_CLIENT_ID, settings, now);
  const current = secrets[0];
  if (current !== undefined && !client.secrets.some((s) => s.hash === current.hash)) {
    // A new master key: the old secret stops at once (it was derived from the retired key).
    client = await core.store.rotateClientSecret(CONSOLE_CLIENT_ID, current, now, now);
  }
  core.bus.publish('client.updated', { clientId: CONSOLE_CLIENT_ID });
  return client;
}

/**
 * The console feature when `console.enabled`; undefined (so `/console` is 404) when off, or when
 * the issuer is plain http on a name other than localhost, where no browser keeps its cookie safe.
 */
export async function composeConsole(core: Core): Promise<HttpFeature | undefined> {
  if (!core.config.console.enabled) {
    return undefined;
  }
  const issuer = new URL(core.issuer);
  if (issuer.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)) {
    core.logger.warn({ issuer: core.issuer }, 'console off: it needs an https issuer (or http on localhost)');
    return undefined;
  }
  const secrets = consoleSecretsOf(core.masterKey);
  await ensureConsoleClient(core, secrets.clientSecret);
  return createConsoleFeature({
    issuer: core.issuer,
    clientId: CONSOLE_CLIENT_ID,
    clientSecret: secrets.clientSecret,
    sessionKey: secrets.sessionKey,
    audience: adminAudienceOf(core.issuer),
    onError: (error, context) => core.logger.warn({ err: error, context }, 'console'),
  });
}

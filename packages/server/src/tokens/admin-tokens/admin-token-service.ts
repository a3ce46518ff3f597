/**
 * Admin API credentials (`tsr_adm_…`, DESIGN §3): minted with a name, scopes and an optional
 * expiry, shown once, stored only as their SHA-256 plus a display start, listed and revoked.
 * `authenticate` turns a presented token into the principal the admin API checks scopes against.
 */
import { parseSecret } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret, mintSecret, newId } from '../../ids.js';
import type { AdminTokenRecord, AdminTokenStore } from '../../store/ports.js';
import { MAX_EXPIRES_AT } from '../api-keys/api-key-input.js';
import { allowsAdminScope, parseAdminScopes } from './scopes.js';

/** Who an admin request acts as. */
export interface AdminPrincipal {
  /** `adt_…`, or `admin` for the bootstrap token of the configuration. */
  id: string;
  name: string;
  scopes: readonly string[];
}

export interface AdminTokenServiceDeps {
  store: AdminTokenStore;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
}

export interface NewAdminToken {
  name: string;
  scopes: readonly string[];
  /** Seconds from now; undefined for a token that does not expire. */
  expiresIn?: number | undefined;
}

export interface AdminTokenService {
  /** Mints a token; `by` may only hand out scopes it holds itself. Throws TypeError on bad input. */
  create(
    input: NewAdminToken,
    by: AdminPrincipal,
    requestId?: string,
  ): Promise<{ record: AdminTokenRecord; token: string }>;
  list(): Promise<AdminTokenRecord[]>;
  /** False when unknown or already revoked. */
  revoke(id: string, by: AdminPrincipal, requestId?: string): Promise<boolean>;
  /** The principal of a valid, unexpired, unrevoked token; undefined otherwise. */
  authenticate(token: string): Promise<AdminPrincipal | undefined>;
}

const MAX_NAME = 100;

export function createAdminTokenService(deps: AdminTokenServiceDeps): AdminTokenService {
  return {
    async create(input, by, requestId) {
      const name = input.name.trim();
      if (
        name.length === 0 ||
        name.length > MAX_NAME ||
        [...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f')
      ) {
        throw new TypeError(`name must be 1 to ${MAX_NAME} printable characters`);
      }
      const scopes = parseAdminScopes(input.scopes);
      const beyond = scopes.find((scope) => !allowsAdminScope(by.scopes, scope));
      if (beyond !== undefined) {
        throw new TypeError(`Cannot grant ${beyond}: the caller does not hold it`);
      }
      if (input.expiresIn !== undefined && (!Number.isInteger(input.expiresIn) || input.expiresIn <= 0)) {
        throw new TypeError('expires_in must be a positive number of seconds');
      }
      const now = deps.clock.now();
      if (input.expiresIn !== undefined && now + input.expiresIn > MAX_EXPIRES_AT) {
        throw new TypeError('expires_in must end before the year 10000');
      }
      const token = mintSecret('adm');
      const record: AdminTokenRecord = {
        id: newId('adt'),
        name,
        scopes,
        hash: hashSecret(token),
        start: parseSecret(token, 'adm')?.start ?? '',
        createdAt: now,
        expiresAt: input.expiresIn === undefined ? null : now + input.expiresIn,
        revokedAt: null,
      };
      await deps.store.insertAdminToken(record);
      deps.audit.record({
        type: 'admin_token.created',
        actor: by.id,
        subject: record.id,
        data: { name, scopes, expiresAt: record.expiresAt, start: record.start },
        requestId: requestId ?? null,
      });
      return { record, token };
    },

    list() {
      return deps.store.listAdminTokens();
    },

    async revoke(id, by, requestId) {
      const revoked = await deps.store.revokeAdminToken(id, deps.clock.now());
      if (revoked) {
        deps.audit.record({
          type: 'admin_token.revoked',
          actor: by.id,
          subject: id,
          data: {},
          requestId: requestId ?? null,
        });
      }
      return revoked;
    },

    async authenticate(token) {
      if (parseSecret(token, 'adm') === undefined) {
        return undefined;
      }
      const record = await deps.store.findAdminTokenByHash(hashSecret(token));
      const now = deps.clock.now();
      if (
        record === undefined ||
        record.revokedAt !== null ||
        (record.expiresAt !== null && record.expiresAt <= now)
      ) {
        return undefined;
      }
      return { id: record.id, name: record.name, scopes: record.scopes };
    },
  };
}

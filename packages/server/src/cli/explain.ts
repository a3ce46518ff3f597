/**
 * Turns the errors an operator meets first (a port in use, a database that cannot be reached, a
 * certificate Node does not trust) into one sentence that names the setting to change, instead of
 * Node's bare `listen EADDRINUSE` or `self-signed certificate in certificate chain`.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Node's and OpenSSL's codes for a certificate this process does not trust (or that does not fit). */
const TLS_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The error code of `error` or of the first error in its `cause` chain that has one. */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What to do about a TLS verification failure, or undefined when `error` is not one. */
export function explainTls(error: unknown, what: string): string | undefined {
  const code = errorCode(error);
  if (code === undefined || !TLS_CODES.has(code)) {
    return undefined;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `The TLS certificate of ${what} is outside its validity period (${code}): renew it.`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `The TLS certificate of ${what} does not name the host in the URL (${code}): use the name the certificate was issued for.`;
  }
  return `Node does not trust the TLS certificate of ${what} (${code}): it is self-signed or signed by a private CA. Give Node that CA's certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (an environment variable read at start-up; it adds to the system CAs). Do not turn verification off.`;
}

/** The database named by `database.url` cannot be reached: say which setting names it. */
export function explainDatabase(error: unknown, where: string): string | undefined {
  const tls = explainTls(error, `the database at ${where}`);
  if (tls !== undefined) {
    return `${tls} The database is database.url (TESSERA_DATABASE_URL).`;
  }
  const code = errorCode(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  // 28P01/28000: authentication, 3D000: no such database (PostgreSQL Appendix A).
  if (
    (code !== undefined && (NETWORK_CODES.has(code) || ['28P01', '28000', '3D000'].includes(code))) ||
    /timeout exceeded when trying to connect|Connection terminated/.test(message)
  ) {
    return `Cannot reach the database named by database.url (TESSERA_DATABASE_URL), ${where}: ${message}${code === undefined || message.includes(code) ? '' : ` (${code})`}.`;
  }
  return undefined;
}

/** The local TCP port a listening socket of another process holds, and that process, best effort (Linux /proc). */
function holderOf(port: number): string | undefined {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the tenth field.
        const local = fields[1];
        if (
          local !== undefined &&
          fields[3] === '0A' &&
          Number.parseInt(local.split(':')[1] ?? '', 16) === port
        ) {
          inodes.add(`socket:[${fields[9]}]`);
        }
      }
    }
    if (inodes.size === 0) {
      return undefined;
    }
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      if (Number(pid) === process.pid) {
        continue;
      }
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
            const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
              .split('\0')
              .filter(Boolean)
              .join(' ');
            return `pid ${pid}: ${command.slice(0, 120)}`;
          }
        } catch {
          // The process ended or is not ours to read.
        }
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** A listen that failed because the address is taken: name the setting and, when visible, the process. */
export function explainListen(error: unknown): string | undefined {
  const failure = error as { code?: unknown; port?: unknown; address?: unknown } | undefined;
  if (failure?.code !== 'EADDRINUSE' && failure?.code !== 'EACCES') {
    return undefined;
  }
  const port = typeof failure.port === 'number' ? failure.port : undefined;
  const address = typeof failure.address === 'string' ? failure.address : 'this address';
  const setting = 'choose another with --port, TESSERA_PORT or "port" in the config file';
  if (failure.code === 'EACCES') {
    return `Not allowed to listen on port ${port ?? '?'} of ${address} (EACCES: ports below 1024 need privileges): ${setting}, or grant CAP_NET_BIND_SERVICE.`;
  }
  const holder = port === undefined ? undefined : holderOf(port);
  return `Port ${port ?? '?'} on ${address} is already in use${holder === undefined ? ' by another process' : ` by ${holder}`} (EADDRINUSE): stop that process, or ${setting}.`;
}

/** The URL with its password hidden, for messages. */
export function maskedUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * Runs a start-up step (open the store, listen) and rethrows what it throws as one sentence naming
 * the setting to change, when it is one of the failures above; anything else unchanged.
 */
export async function explained<T>(databaseUrl: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const explanation = explainListen(error) ?? explainDatabase(error, maskedUrl(databaseUrl));
    if (explanation !== undefined) {
      throw new Error(explanation, { cause: error });
    }
    throw error;
  }
}

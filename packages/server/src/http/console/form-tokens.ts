/**
 * One-time form tokens for the console's create forms (client, API key, person): a double submit
 * (two posts of the same form, a reload of the answer, a second click) creates one object. Each
 * rendered form carries a random token bound to the console session; the first post with it runs
 * the create, and a later post with the same token gets what the first one made (never its secret a
 * second time). A create the admin API refused (400/409) leaves the token usable again, as the
 * form comes back to be corrected.
 *
 * Tokens live in this node's memory for `ttlSeconds` (bounded by `maxTokens`): a second post
 * answered by another node behind a load balancer without session affinity is not recognised and is
 * refused as an expired form (nothing is created twice either way).
 */
import { randomBytes } from 'node:crypto';

/** What a create made: enough to point at it again. */
export interface Created {
  /** What kind of object, for the sentence "This … was already created". */
  what: string;
  id: string;
  name: string;
  /** The console page of the object. */
  href: string;
}

/** The first post's outcome: the object made, or `undefined` when nothing was made. */
export type CreateOutcome<T> = { created: Created; answer: T } | { created?: undefined; answer: T };

export type OnceResult<T> =
  | { kind: 'first'; answer: T }
  | { kind: 'repeat'; created: Created }
  | { kind: 'unknown' };

interface Entry {
  session: string;
  expiresAt: number;
  made?: Promise<Created | undefined>;
}

export interface FormTokens {
  /** A new token for a form shown to the console session `session`. */
  issue(session: string): string;
  /**
   * Runs `create` for the first post with `token`; a repeat waits for the first and gets the object
   * it made. `unknown`: the token was never issued to this session, or has expired.
   */
  once<T>(session: string, token: string, create: () => Promise<CreateOutcome<T>>): Promise<OnceResult<T>>;
}

export function createFormTokens(
  options: { ttlSeconds?: number; maxTokens?: number; now?: () => number } = {},
): FormTokens {
  const ttl = options.ttlSeconds ?? 600;
  const max = options.maxTokens ?? 10_000;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const entries = new Map<string, Entry>();

  function sweep(at: number): void {
    for (const [token, entry] of entries) {
      if (entry.expiresAt <= at) {
        entries.delete(token);
      }
    }
    // Oldest first (Map keeps insertion order): a flood of page views cannot grow memory unbounded.
    for (const token of entries.keys()) {
      if (entries.size < max) {
        break;
      }
      entries.delete(token);
    }
  }

  return {
    issue(session) {
      const at = now();
      sweep(at);
      const token = randomBytes(24).toString('base64url');
      entries.set(token, { session, expiresAt: at + ttl });
      return token;
    },
    async once(session, token, create) {
      const entry = entries.get(token);
      if (entry === undefined || entry.session !== session || entry.expiresAt <= now()) {
        return { kind: 'unknown' };
      }
      if (entry.made !== undefined) {
        const made = await entry.made;
        if (made !== undefined) {
          return { kind: 'repeat', created: made };
        }
      }
      const run = create();
      entry.made = run.then(
        (outcome) => outcome.created,
        () => undefined,
      );
      const outcome = await run;
      if (outcome.created === undefined) {
        delete entry.made;
      }
      return { kind: 'first', answer: outcome.answer };
    },
  };
}

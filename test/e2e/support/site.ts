/**
 * The whole stage of a Chromium end-to-end test file: a listening Tessera, the relying party's
 * callback endpoint and a browser, started before the file's tests and closed after them.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.js';
import { type CallbackApp, type E2eTessera, startCallbackApp, startE2eTessera } from './tessera.js';

type HasherOption = Parameters<typeof startE2eTessera>[0];

export interface E2eSite {
  readonly issuer: string;
  /** The relying party's origin (`${appUrl}/callback` is its redirect URI). */
  readonly appUrl: string;
  readonly browser: Browser;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** Registers the file's beforeAll/afterAll hooks; read the fields inside the tests. */
export function useE2eSite(
  options: {
    hostname?: 'localhost' | '127.0.0.1';
    overrides?: Record<string, unknown>;
    /** Chromium flags beside the standard ones. */
    chromiumArgs?: readonly string[];
    /** A stand-in for argon2 (a test that holds every password check). */
    passwordHasher?: NonNullable<HasherOption>['passwordHasher'];
  } = {},
): E2eSite {
  let tessera: E2eTessera | undefined;
  let app: CallbackApp | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    tessera = await startE2eTessera({
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
      ...(options.passwordHasher === undefined ? {} : { passwordHasher: options.passwordHasher }),
    });
    app = await startCallbackApp();
    browser = await launchChromium(options.chromiumArgs);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    app?.close();
    await tessera?.close();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) {
      throw new Error(`${what} is not started yet (read it inside a test)`);
    }
    return value;
  };
  return {
    get issuer() {
      return started(tessera, 'Tessera').issuer;
    },
    get appUrl() {
      return started(app, 'the callback app').url;
    },
    get browser() {
      return started(browser, 'Chromium');
    },
    admin: (method, path, body) => started(tessera, 'Tessera').admin(method, path, body),
  };
}

/**
 * Headless Chromium (`playwright-core` + Debian's `chromium`) with the flags every end-to-end test
 * uses: no sandbox, no GPU, no QUIC, no background traffic.
 */
import { type Browser, chromium } from 'playwright-core';
import {
  CHROMIUM_PATH,
  isChromiumInstalled,
  requireService,
} from '../../../packages/server/test/support/requirements.js';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** False (the suite is skipped) where Chromium is missing, unless TESSERA_REQUIRE_SERVICES=1. */
export function chromiumAvailable(): boolean {
  return requireService('Chromium', isChromiumInstalled());
}

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

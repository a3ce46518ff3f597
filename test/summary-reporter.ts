/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after vitest's own summary, so any
 * CI reading the tail of the log can count the tests without knowing vitest's format.
 *
 * Under `TESSERA_REQUIRE_SERVICES=1` (CI, `.ci/run`) it also fails the run (exit code 1) on any
 * skipped or todo test that `test/allowed-skips.json` does not list with a reason: a test that does
 * not run proves nothing, so skipping one must be a decision written down, never an accident.
 * (Focused tests are refused earlier: Biome's `noFocusedTests` and vitest's `allowOnly: false`.)
 */
import { readFileSync } from 'node:fs';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

/** One entry of the allowlist: the test file (relative to the root) and the test's full name. */
export interface AllowedSkip {
  file: string;
  test: string;
  reason: string;
}

export interface SummaryReporterOptions {
  /** Default: `TESSERA_REQUIRE_SERVICES === '1'`. */
  enforceSkips?: boolean;
  /** Default: `test/allowed-skips.json` beside this file. */
  allowedSkipsFile?: string | URL;
}

function readAllowlist(file: string | URL): AllowedSkip[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (
    !Array.isArray(parsed) ||
    !parsed.every(
      (entry) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.file === 'string' &&
        typeof entry.test === 'string' &&
        typeof entry.reason === 'string' &&
        entry.reason.trim() !== '',
    )
  ) {
    throw new Error(`${String(file)}: expected an array of { file, test, reason } with a reason each`);
  }
  return parsed as AllowedSkip[];
}

export class SummaryReporter implements Reporter {
  private readonly enforceSkips: boolean;
  private readonly allowedSkipsFile: string | URL;
  private namePattern: RegExp | undefined;

  constructor(options: SummaryReporterOptions = {}) {
    this.enforceSkips = options.enforceSkips ?? process.env.TESSERA_REQUIRE_SERVICES === '1';
    this.allowedSkipsFile = options.allowedSkipsFile ?? new URL('./allowed-skips.json', import.meta.url);
  }

  onInit(vitest: Vitest): void {
    this.namePattern = vitest.config.testNamePattern;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: Omit<AllowedSkip, 'reason'>[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') {
          passed++;
        } else if (state === 'failed') {
          failed++;
        } else {
          skipped.push({ file: module.relativeModuleId, test: test.fullName });
        }
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) {
        failed++;
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
    if (!this.enforceSkips || skipped.length === 0) {
      return;
    }
    if (this.namePattern !== undefined) {
      // `-t` marks every other test skipped: a partial run, not an unlisted skip.
      process.stdout.write('Skips not checked: the run was filtered by test name (-t).\n');
      return;
    }
    const allowed = readAllowlist(this.allowedSkipsFile);
    const unlisted = skipped.filter(
      (skip) => !allowed.some((entry) => entry.file === skip.file && entry.test === skip.test),
    );
    if (unlisted.length > 0) {
      process.stdout.write(
        `\n${unlisted.length} skipped test(s) not listed in ${String(this.allowedSkipsFile)} (TESSERA_REQUIRE_SERVICES=1 fails on them):\n${unlisted
          .map((skip) => `  - ${skip.file} > ${skip.test}`)
          .join('\n')}\n`,
      );
      process.exitCode = 1;
    }
  }
}

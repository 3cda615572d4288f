import { binariesAvailable } from './binaries.ts';

export type E2eGate = { skip: false; binDir: string } | { skip: string };

/**
 * Decides whether an e2e test file runs. Missing binaries skip the tests with a reason that
 * says why and how to fix it (tap prints it as the one skip line of the file), except under
 * BERTH_E2E_REQUIRED=1 (CI), where they are a failure: a CI run that skipped its e2e tests
 * would look green while testing nothing.
 */
export function e2eGate(t: { fail(message: string): unknown }): E2eGate {
  const binaries = binariesAvailable();
  if (binaries.ok) return { skip: false, binDir: binaries.dir };
  if (process.env['BERTH_E2E_REQUIRED'] === '1') {
    t.fail(`e2e control-plane binaries are required (BERTH_E2E_REQUIRED=1) but missing: ${binaries.why}`);
    return { skip: 'binaries missing, reported as a failure above' };
  }
  return { skip: `berth e2e tests skipped: ${binaries.why}` };
}

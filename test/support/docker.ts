import { execaSync } from 'execa';
import { describe } from 'vitest';

/**
 * Integration tests need a running Docker engine. Where none is reachable they skip with the
 * reason in their title; with PULLPROOF_REQUIRE_DOCKER=1 (set by .ci/run) a missing engine is a
 * failure instead, so CI can never go green by skipping.
 */
function probeDocker(): string | undefined {
  try {
    execaSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
    return undefined;
  } catch (error) {
    return `docker engine not reachable (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); start dockerd or run .ci/host-setup.sh`;
  }
}

export const dockerUnavailableReason: string | undefined = probeDocker();

if (dockerUnavailableReason && process.env.PULLPROOF_REQUIRE_DOCKER === '1') {
  throw new Error(`PULLPROOF_REQUIRE_DOCKER=1 but ${dockerUnavailableReason}`);
}

/** `describe` that runs when Docker is reachable and otherwise skips, naming the missing prerequisite. */
export function describeWithDocker(name: string, body: () => void): void {
  if (dockerUnavailableReason) describe.skip(`${name} — skipped: ${dockerUnavailableReason}`, body);
  else describe(name, body);
}

/**
 * `describe` for a suite that needs something besides the engine (a socket, a CLI, a browser):
 * `missing` says what is absent, or is undefined when all is there. It skips naming the missing
 * prerequisite, except under PULLPROOF_REQUIRE_DOCKER=1, where a missing prerequisite fails the
 * run: CI installs every one of them (.ci/host-setup.sh), so a skip there would hide a hole.
 */
export function describeWhenPresent(missing: string | undefined, name: string, body: () => void): void {
  if (missing && process.env.PULLPROOF_REQUIRE_DOCKER === '1') throw new Error(`PULLPROOF_REQUIRE_DOCKER=1 but ${missing}: ${name} cannot run`);
  if (missing) describe.skip(`${name} — skipped: ${missing}`, body);
  else describe(name, body);
}

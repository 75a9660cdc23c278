import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Where `node scripts/prepare.mjs test` puts helm when none is installed. */
export const HELM_CACHE = resolve('.cache/tools/helm/helm');

/**
 * The helm binary: $HELM_BIN, else the one prepare.mjs fetched, else `helm` on PATH. Throws
 * when there is none, so a test needing helm fails instead of silently skipping.
 */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HELM_BIN) {
    if (!existsSync(env.HELM_BIN)) throw new Error(`HELM_BIN=${env.HELM_BIN} does not exist`);
    return env.HELM_BIN;
  }
  if (existsSync(HELM_CACHE)) return HELM_CACHE;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'helm'))) return join(dir, 'helm');
  }
  throw new Error(
    `helm not found (looked at $HELM_BIN, ${HELM_CACHE} and PATH): run \`node scripts/prepare.mjs test\`, which fetches it`,
  );
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with `args`; resolves with its exit code and output whatever the outcome. */
export function runHelm(args: string[], options: { cwd?: string } = {}): Promise<HelmResult> {
  const binary = helmBinary();
  return new Promise((done) => {
    execFile(
      binary,
      args,
      {
        cwd: options.cwd,
        timeout: 60_000,
        maxBuffer: 32 * 1024 * 1024,
        // No repository or plugin configuration of the user's leaks into the test.
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(process.env.TMPDIR ?? '/tmp', 'gameday-helm-cache'),
          HELM_CONFIG_HOME: join(process.env.TMPDIR ?? '/tmp', 'gameday-helm-config'),
          HELM_DATA_HOME: join(process.env.TMPDIR ?? '/tmp', 'gameday-helm-data'),
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

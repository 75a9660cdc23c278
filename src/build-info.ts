import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

export interface BuildInfo {
  version: string;
  /** Source revision, injected at image build time through GAMEDAY_REVISION. */
  revision: string;
  nodeVersion: string;
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  cached ??= {
    version: packageVersion(),
    revision: process.env.GAMEDAY_REVISION || 'unknown',
    nodeVersion: process.versions.node,
  };
  return cached;
}

function packageVersion(): string {
  const root = packageRoot(import.meta.url);
  if (root === undefined) return '0.0.0-unknown';
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0-unknown';
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of gameday's package.json, found by walking up from `moduleUrl`. Code runs from
 * source (tsx), from `dist/` (the image) and from a test build, each at another depth below the
 * root, so files beside the code (dashboard/, deploy/rules/, package.json) are found this way
 * instead of through a fixed `../..`. Undefined when no such package.json is above.
 */
export function packageRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && readName(candidate) === 'gameday') return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readName(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

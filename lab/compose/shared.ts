// What the compose lab (lab/compose/lab.ts) shares with the other containers, and how.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { labRules } from '../pipeline/rules.js';

/** What the demo reads from LAB_SHARED_DIR/lab.json. */
export interface ComposeLabInfo {
  /** The Kubernetes API as other containers reach it. */
  apiUrl: string;
  kubeconfig: string;
  /** The ingress gateway's HTTPS listener and the CA file of the shop's certificate. */
  gateway: { httpsUrl: string; caFile: string };
  /** The telemetry's HTTP SD URL as other containers reach it. */
  sdUrl: string;
}

export interface ComposeLabSettings {
  port: number;
  speed: number;
  advertiseHost: string;
  telemetryPort: number;
  sharedDir: string;
  rulesDir: string;
  rulesSource: string;
  adminToken: string | undefined;
}

export function composeLabSettings(env: NodeJS.ProcessEnv = process.env): ComposeLabSettings {
  const number = (name: string, fallback: number, min: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) {
      throw new Error(`${name}: expected a number of at least ${min}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  return {
    // Port 0 picks a free one (tests).
    port: number('LAB_PORT', 6443, 0),
    speed: number('LAB_SPEED', 20, 1),
    advertiseHost: env['LAB_ADVERTISE_HOST'] || 'lab',
    telemetryPort: number('LAB_TELEMETRY_PORT', 9464, 0),
    sharedDir: resolve(env['LAB_SHARED_DIR'] || '/var/lib/gameday/lab'),
    rulesDir: resolve(env['LAB_RULES_DIR'] || '/var/lib/gameday/lab-rules'),
    rulesSource: resolve(env['LAB_RULES_SOURCE'] || 'deploy/rules'),
    adminToken: env['LAB_ADMIN_TOKEN'] || undefined,
  };
}

/** The lab's kubeconfig, pointed at `server` and verifying the certificate as `localhost`. */
export function advertisedKubeconfig(kubeconfig: string, server: string): string {
  const doc = parse(kubeconfig) as { clusters: Array<{ cluster: Record<string, unknown> }> };
  for (const entry of doc.clusters) {
    entry.cluster['server'] = server;
    // The lab's serving certificate is issued for loopback names only.
    entry.cluster['tls-server-name'] = 'localhost';
  }
  return stringify(doc);
}

/** An SD document with every target replaced by `address` (the relay in front of the exporter). */
export function advertisedSd(body: string, address: string): string {
  const groups = JSON.parse(body) as Array<{ targets: string[]; labels: Record<string, string> }>;
  return JSON.stringify(groups.map((group) => ({ ...group, targets: [address] })));
}

/** Writes the lab variant of every `*.yml` rule file of `source` into `target`. */
export async function writeLabRules(source: string, target: string): Promise<string[]> {
  const names = (await readdir(source)).filter((name) => name.endsWith('.yml')).sort();
  if (names.length === 0) throw new Error(`no *.yml rule files in ${source}`);
  await mkdir(target, { recursive: true });
  for (const name of names) {
    await writeAtomically(join(target, name), labRules(await readFile(join(source, name), 'utf8')));
  }
  return names;
}

export async function writeAtomically(path: string, content: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}

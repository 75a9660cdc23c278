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
import { existsSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
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

const mode = process.argv[2] ?? 'test';
if (!['test', 'demo'].includes(mode)) fail(`usage: node scripts/prepare.mjs test|demo`);

ensureNodeModules();
await ensureServices();

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

import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type * as Testcontainers from 'testcontainers';
import { describeError } from './wait-for.js';

export type ServiceName = 'redis' | 'prometheus' | 'alertmanager';
export type BackendKind = 'local' | 'docker';
export type BackendChoice = { kind: 'local'; binary: string } | { kind: 'docker' };

/** `auto` (default): Docker if an engine answers, else local binaries. */
export const SERVICES_ENV = 'GAMEDAY_TEST_SERVICES';
type Mode = 'auto' | 'local' | 'docker';

const DOCKER_PROBE_TIMEOUT_MS = 5_000;

const LOCAL_BINARIES: Record<ServiceName, { names: readonly string[]; aptPackage: string }> = {
  redis: { names: ['redis-server'], aptPackage: 'redis-server' },
  prometheus: { names: ['prometheus'], aptPackage: 'prometheus' },
  // Debian/Ubuntu rename the upstream `alertmanager` binary.
  alertmanager: {
    names: ['alertmanager', 'prometheus-alertmanager'],
    aptPackage: 'prometheus-alertmanager',
  },
};

/** Decides how `service` runs, or throws one error that says what to install. */
export async function chooseBackend(service: ServiceName): Promise<BackendChoice> {
  const mode = readMode();
  if (mode !== 'local') {
    const docker = await probeDocker();
    if (docker.ok) return { kind: 'docker' };
    if (mode === 'docker') {
      throw new Error(
        `${SERVICES_ENV}=docker but no Docker engine is reachable (${docker.reason}): ` +
          `start a Docker engine or set ${SERVICES_ENV}=local`,
      );
    }
  }
  const { names, aptPackage } = LOCAL_BINARIES[service];
  const binary = await findOnPath(names);
  if (binary !== undefined) return { kind: 'local', binary };
  const install = `install it with \`sudo apt-get install -y ${aptPackage}\` (Debian/Ubuntu)`;
  const lookedFor = `looked for ${names.join(' and ')} on PATH`;
  throw new Error(
    mode === 'local'
      ? `${SERVICES_ENV}=local but there is no local ${service} binary (${lookedFor}): ${install}`
      : `No Docker engine and no local ${service} binary (${lookedFor}): ${install} or start a Docker engine`,
  );
}

function readMode(): Mode {
  const raw = (process.env[SERVICES_ENV] ?? '').trim().toLowerCase();
  if (raw === '') return 'auto';
  if (raw === 'auto' || raw === 'local' || raw === 'docker') return raw;
  throw new Error(`${SERVICES_ENV} must be auto, local or docker, got ${JSON.stringify(raw)}`);
}

/** The first of `names` found as an executable in a PATH directory. */
export async function findOnPath(names: readonly string[]): Promise<string | undefined> {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Loaded lazily: importing testcontainers costs ~0.5 s and is only needed in Docker mode. */
export function loadTestcontainers(): Promise<typeof Testcontainers> {
  return import('testcontainers');
}

type DockerProbe = { ok: true } | { ok: false; reason: string };
let dockerProbe: Promise<DockerProbe> | undefined;

function probeDocker(): Promise<DockerProbe> {
  dockerProbe ??= (async (): Promise<DockerProbe> => {
    if (readMode() === 'auto' && !(await mightHaveDockerEngine())) {
      return { ok: false, reason: 'no DOCKER_HOST and no Docker socket found' };
    }
    try {
      const tc = await loadTestcontainers();
      await withTimeout(tc.getContainerRuntimeClient(), DOCKER_PROBE_TIMEOUT_MS);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: describeError(error) };
    }
  })();
  return dockerProbe;
}

/**
 * Cheap pre-check so `auto` does not load testcontainers on machines without Docker. It
 * mirrors the places testcontainers looks; GAMEDAY_TEST_SERVICES=docker skips it.
 */
async function mightHaveDockerEngine(): Promise<boolean> {
  if (process.env['DOCKER_HOST'] || process.env['TESTCONTAINERS_HOST_OVERRIDE']) return true;
  const home = homedir();
  const uid = process.getuid?.();
  const candidates = [
    '/var/run/docker.sock',
    join(home, '.testcontainers.properties'),
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    process.env['XDG_RUNTIME_DIR'] ? join(process.env['XDG_RUNTIME_DIR'], 'docker.sock') : '',
    uid === undefined ? '' : `/run/user/${uid}/docker.sock`,
  ].filter((path) => path !== '');
  for (const path of candidates) {
    try {
      await access(path);
      return true;
    } catch {
      // Try the next location.
    }
  }
  return false;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from the Docker engine within ${timeoutMs}ms`)),
      timeoutMs,
    );
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

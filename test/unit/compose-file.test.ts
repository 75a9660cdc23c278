import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs in CI, so `docker compose config` cannot check this file there;
// these tests keep its internal references and the promises the README makes honest.
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  environment?: Record<string, string>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as ComposeFile;

describe('docker-compose.yml', () => {
  it('runs the stack the README describes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      expect.arrayContaining(['alertmanager', 'api', 'prometheus', 'redis', 'worker']),
    );
  });

  it('runs Redis with AOF persistence on a named volume', () => {
    const redis = compose.services.redis;
    expect(redis?.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis?.volumes).toContain('redis-data:/data');
  });

  it('refers only to services, volumes and files that exist', () => {
    const services = Object.keys(compose.services);
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps) expect(services, `${name} depends on ${dep}`).toContain(dep);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.'))
          expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
        else
          expect(Object.keys(compose.volumes ?? {}), `${name} uses volume ${source}`).toContain(
            source,
          );
      }
    }
  });

  it('points the API and worker at the compose services and the built entry points', () => {
    for (const name of ['api', 'worker'] as const) {
      const service = compose.services[name];
      expect(service?.environment?.REDIS_URL).toBe('redis://redis:6379');
      const entry = service?.command?.[1] ?? '';
      expect(entry).toBe(`dist/${name}/main.js`);
      expect(existsSync(`${name}/main.ts`)).toBe(true);
    }
    expect(existsSync('Dockerfile')).toBe(true);
  });
});

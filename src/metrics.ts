import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { BuildInfo } from './build-info.js';

/**
 * One registry per process, so tests can create isolated registries and the API and
 * worker never fight over prom-client's global default registry.
 */
export function createMetricsRegistry(info: BuildInfo): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const build = new Gauge({
    name: 'gameday_build_info',
    help: 'Build of the running gameday process; the value is always 1.',
    labelNames: ['version', 'revision', 'node_version'],
    registers: [registry],
  });
  build.set({ version: info.version, revision: info.revision, node_version: info.nodeVersion }, 1);
  return registry;
}

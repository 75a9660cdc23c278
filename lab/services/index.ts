// Real Redis, Prometheus and Alertmanager for the lab, the demo and the integration tests, run as
// local processes or (GAMEDAY_TEST_SERVICES=docker, or auto with a Docker engine) as containers.
// Call dispose() on every handle; leftovers are SIGKILLed when this process exits or is signalled.
export { chooseBackend, SERVICES_ENV, type BackendKind, type ServiceName } from './backend.js';
export { getFreePort } from './free-port.js';
export { closeServer, getJson, isHttpOk, listenOnLoopback, postEmpty } from './http.js';
export type { ServiceHandle } from './managed-service.js';
export { startRedis, redisPing, type RedisHandle, type RedisOptions } from './redis.js';
export {
  startPrometheus,
  type PrometheusHandle,
  type PrometheusOptions,
  type ScrapeTarget,
} from './prometheus.js';
export {
  startAlertmanager,
  type AlertmanagerHandle,
  type AlertmanagerOptions,
} from './alertmanager.js';
export { ServiceStartError } from './runtime.js';

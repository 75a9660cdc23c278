// Test harness: real Redis, Prometheus and Alertmanager for integration tests, run as local
// processes or (GAMEDAY_TEST_SERVICES=docker, or auto with a Docker engine) as containers.
// Call dispose() on every handle in afterAll; leftovers are SIGKILLed on exit/SIGTERM.
export { SERVICES_ENV, type BackendKind, type ServiceName } from './backend.js';
export { getFreePort } from './free-port.js';
export { getJson, isHttpOk, postEmpty } from './http.js';
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
export {
  startWebhookReceiver,
  type ReceivedAlert,
  type ReceivedRequest,
  type WebhookAlert,
  type WebhookPayload,
  type WebhookReceiver,
} from './webhook-receiver.js';
export { startMetricsTarget, type MetricsTarget } from './metrics-target.js';
export { waitFor, WaitTimeoutError, type WaitForOptions } from './wait-for.js';

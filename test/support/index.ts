// Test harness: real Redis, Prometheus and Alertmanager for integration tests, run as local
// processes or (GAMEDAY_TEST_SERVICES=docker, or auto with a Docker engine) as containers.
// Call dispose() on every handle in afterAll; leftovers are SIGKILLed on exit/SIGTERM.
// The service start logic lives in lab/services, shared with `npm run lab` and the demo.
export {
  getFreePort,
  getJson,
  isHttpOk,
  postEmpty,
  redisPing,
  SERVICES_ENV,
  ServiceStartError,
  startAlertmanager,
  startPrometheus,
  startRedis,
  type AlertmanagerHandle,
  type AlertmanagerOptions,
  type BackendKind,
  type PrometheusHandle,
  type PrometheusOptions,
  type RedisHandle,
  type RedisOptions,
  type ScrapeTarget,
  type ServiceHandle,
  type ServiceName,
} from '../../lab/services/index.js';
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

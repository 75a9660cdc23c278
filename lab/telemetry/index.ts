export {
  startTelemetry,
  sdDocument,
  type SdTargetGroup,
  type Telemetry,
  type TelemetryOptions,
} from './exporter.js';
export { ISTIO_DURATION_BUCKETS } from './istio.js';
export { CONVERGENCE_BUCKETS } from './istiod.js';

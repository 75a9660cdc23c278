export * from './types.js';
export { alertFingerprint } from './fingerprint.js';
export { baselineAlerts, describeExpectation, detect, mergeAlerts } from './detection.js';
export { measureRecovery, measureSignal } from './recovery.js';
export { verdict } from './verdict.js';
export { estimateClockOffset, toToolClock } from './clock-offset.js';
export { parsePrometheusDuration, promqlWindowMs } from './promql-window.js';
export { formatElapsed } from './format.js';

/** The scenario model (SPEC §3): schemas, validation and loading of Scenario and GameDay files. */
export * from './fault-params.js';
export { gameDayJsonSchema, scenarioJsonSchema } from './json-schema.js';
export * from './loader.js';
export * from './matchers.js';
export {
  API_VERSION,
  COMPARISON_OPERATORS,
  compare,
  cronError,
  DEFAULT_TIMEZONE,
  durationMs,
  formatComparison,
  parseComparison,
  timezoneError,
} from './primitives.js';
export type { Comparison, ComparisonOperator, Schedule } from './primitives.js';
export * from './schema.js';
export * from './validate.js';

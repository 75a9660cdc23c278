import { pino, stdSerializers, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { GamedayConfig } from './config.js';
import { REDACTED, redactSecretData } from './redact.js';

export type { Logger } from 'pino';

/**
 * Paths that may carry credentials. pino removes them before a line is written, so a
 * careless `log.info({ headers })` cannot leak a bearer token into a log pipeline.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-gameday-webhook-secret"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.bearerToken',
  '*.webhookSecret',
  'config.api.tokens',
  '*.stringData',
];

export interface LoggerOptions {
  name: string;
  level: GamedayConfig['log']['level'];
  format: GamedayConfig['log']['format'];
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ name, level, format, destination }: LoggerOptions): Logger {
  const out = destination ?? process.stdout;
  const isTerminal = 'isTTY' in out && out.isTTY === true;
  const usePretty = format === 'pretty' || (format === 'auto' && isTerminal);
  const options = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      err: stdSerializers.err,
      object: redactSecretData,
      resource: redactSecretData,
    },
  };
  if (usePretty) {
    return pino(options, pretty({ colorize: isTerminal, destination: out, sync: true }));
  }
  return pino(options, out);
}

import { ConfigError, loadConfig, type GamedayConfig } from './config.js';
import type { Logger } from './logger.js';

/** EX_CONFIG from sysexits.h: the process cannot start as configured. */
export const EXIT_CONFIG = 78;

/**
 * Loads the configuration or ends the process with one line on stderr naming the bad
 * variables: an operator reading `kubectl logs` should see the cause, not a stack trace.
 */
export function loadConfigOrExit(processName: string, env = process.env): GamedayConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${processName}: ${err.message}`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}

/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT and exits with its code. A second
 * signal while shutting down exits at once: the operator has decided not to wait.
 */
export function onShutdownSignal(
  logger: Logger,
  shutdown: (signal: string) => Promise<number>,
): void {
  let shuttingDown = false;
  const handle = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal received, exiting without waiting');
      process.exit(130);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    shutdown(signal).then(
      (code) => process.exit(code),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Logs an unexpected crash as one structured line before exiting. */
export function exitOnUnexpectedErrors(logger: Logger): void {
  const fatal = (err: unknown, origin: string) => {
    logger.fatal({ err, origin }, 'unexpected error, exiting');
    process.exit(1);
  };
  process.on('uncaughtException', (err) => fatal(err, 'uncaughtException'));
  process.on('unhandledRejection', (reason) => fatal(reason, 'unhandledRejection'));
}

import type { BackendKind, ServiceName } from './backend.js';

/** Grace period between SIGTERM (or `docker stop`) and SIGKILL. */
export const STOP_TIMEOUT_MS = 5_000;
export const DEFAULT_START_TIMEOUT_MS = 30_000;

/** Where the service finds things, as seen from inside its process (host or container). */
export interface LaunchContext {
  listenHost: string;
  port: number;
  /** Directory holding the config files written by the service module. */
  configDir: string;
  /** Writable directory for the service's own data. */
  dataDir: string;
}

/** Backend-independent description of a service, written by redis.ts, prometheus.ts, ... */
export interface RuntimeSpec {
  name: ServiceName;
  /** The instance's temp dir; config files are written here, the log goes to `<name>.log`. */
  dir: string;
  args(ctx: LaunchContext): string[];
  /** Config files, relative to `dir`; in Docker mode they are copied into the container. */
  configFiles(): string[];
  /** Resolves true (or throws / resolves false) once the service answers on host:port. */
  isReady(host: string, port: number): Promise<boolean>;
  startTimeoutMs?: number;
  docker: {
    image: string;
    containerPort: number;
    dataDir: string;
    /** Prepended to args, for images whose entrypoint is not the server binary. */
    commandPrefix?: string[];
    /** Host loopback ports the container must reach (scrape targets, webhooks, ...). */
    hostPorts?: number[];
  };
}

/** One service instance run by a backend: a local child process or a container. */
export interface ServiceRuntime {
  readonly kind: BackendKind;
  /** Host to connect to from this process. */
  readonly host: string;
  readonly running: boolean;
  /** Starts the service reachable on `host:hostPort` and resolves once it is ready. */
  launch(hostPort: number): Promise<void>;
  /** Graceful stop (SIGTERM, then SIGKILL after {@link STOP_TIMEOUT_MS}); restartable. */
  stop(): Promise<void>;
  /** SIGKILL; restartable. */
  kill(): Promise<void>;
  /** Makes the service see the current contents of its config files (no-op locally). */
  syncConfig(): Promise<void>;
  /** Stops the service and releases everything except the temp dir. */
  dispose(): Promise<void>;
  /** Output of the current (or last) run, at most ~4 KB. */
  logTail(): string;
}

export class ServiceStartError extends Error {
  override name = 'ServiceStartError';

  constructor(
    message: string,
    /** True when the port was taken, so the caller may retry on another port. */
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

const ADDRESS_IN_USE = /address already in use|port is already allocated|EADDRINUSE/i;

export function startError(name: string, reason: string, output: string): ServiceStartError {
  const tail = output.trim() === '' ? '(no output)' : output.trimEnd();
  return new ServiceStartError(
    `${name} failed to start: ${reason}\n--- last output of ${name} ---\n${tail}`,
    ADDRESS_IN_USE.test(reason) || ADDRESS_IN_USE.test(output),
  );
}

import type { BackendChoice, BackendKind } from './backend.js';
import { removeTempDir } from './cleanup.js';
import { DockerRuntime } from './docker-runtime.js';
import { getFreePort } from './free-port.js';
import { LocalRuntime } from './local-runtime.js';
import { ServiceStartError, type RuntimeSpec, type ServiceRuntime } from './runtime.js';

const START_ATTEMPTS = 3;

/**
 * A started service. Lifecycle:
 * - `stop()` / `kill()` take the service down but keep its port, temp dir and data, so that
 *   `start()` (or `restart()`) brings it back at the same address with the same data.
 * - `dispose()` is the final teardown (call it in afterAll): stops the service and removes
 *   its temp dir (and container). The handle is unusable afterwards.
 */
export interface ServiceHandle {
  readonly backend: BackendKind;
  /** Always reachable from this process; 127.0.0.1 unless Docker runs remotely. */
  readonly host: string;
  /** Port on `host` (the published port in Docker mode). */
  readonly port: number;
  /** Temp dir: config files, `<service>.log` and (locally) the data dir `data/`. */
  readonly dir: string;
  readonly running: boolean;
  /** Starts a stopped service again and waits until it is ready; no-op if running. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. No-op if not running. */
  stop(): Promise<void>;
  /** SIGKILL, for crash scenarios. No-op if not running. */
  kill(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  dispose(): Promise<void>;
  /** Output of the current (or last) run, at most ~4 KB. */
  logTail(): string;
}

export function createRuntime(choice: BackendChoice, spec: RuntimeSpec): ServiceRuntime {
  return choice.kind === 'local' ? new LocalRuntime(spec, choice.binary) : new DockerRuntime(spec);
}

export class ManagedService implements ServiceHandle {
  protected readonly runtime: ServiceRuntime;
  readonly dir: string;
  #port: number | undefined;
  #disposed = false;

  constructor(runtime: ServiceRuntime, dir: string) {
    this.runtime = runtime;
    this.dir = dir;
  }

  get backend(): BackendKind {
    return this.runtime.kind;
  }

  get host(): string {
    return this.runtime.host;
  }

  get port(): number {
    if (this.#port === undefined) throw new Error('The service has not been started yet');
    return this.#port;
  }

  get running(): boolean {
    return this.runtime.running;
  }

  /**
   * First start on a fresh free port. A port found free may be taken by someone else before
   * the service binds it, so an "address in use" failure is retried on another port. On
   * failure everything is cleaned up and the error (with the service's output) rethrown.
   */
  async init(): Promise<this> {
    try {
      for (let attempt = 1; ; attempt += 1) {
        const port = await getFreePort();
        try {
          await this.runtime.launch(port);
          this.#port = port;
          return this;
        } catch (error) {
          const retry =
            error instanceof ServiceStartError && error.addressInUse && attempt < START_ATTEMPTS;
          if (!retry) throw error;
        }
      }
    } catch (error) {
      await this.dispose().catch(() => undefined);
      throw error;
    }
  }

  async start(): Promise<void> {
    this.#assertUsable();
    if (!this.running) await this.runtime.launch(this.port);
  }

  async stop(): Promise<void> {
    this.#assertUsable();
    await this.runtime.stop();
  }

  async kill(): Promise<void> {
    this.#assertUsable();
    await this.runtime.kill();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.runtime.dispose();
    } finally {
      await removeTempDir(this.dir);
    }
  }

  logTail(): string {
    return this.runtime.logTail();
  }

  #assertUsable(): void {
    if (this.#disposed) throw new Error(`The service in ${this.dir} has been disposed`);
  }
}

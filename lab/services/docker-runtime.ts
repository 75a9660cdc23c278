import { randomUUID } from 'node:crypto';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerRuntimeClient, StartedTestContainer, WaitStrategy } from 'testcontainers';
import { loadTestcontainers } from './backend.js';
import { LogSink } from './log-sink.js';
import {
  DEFAULT_START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  startError,
  type RuntimeSpec,
  type ServiceRuntime,
} from './runtime.js';
import { describeError, settlesWithin, waitFor } from './wait-for.js';

/** Where config files written to the temp dir appear inside the container. */
const CONTAINER_CONFIG_DIR = '/etc/gameday';
const INSTANCE_LABEL = 'dev.gameday.test-instance';
// Pulling an image on first use can take a while; readiness itself is polled separately.
const DOCKER_START_TIMEOUT_MS = 120_000;

type DockerContainer = ReturnType<ContainerRuntimeClient['container']['getById']>;
type FileToCopy = Parameters<StartedTestContainer['copyFilesToContainer']>[0][number];

interface Created {
  started: StartedTestContainer;
  hostPort: number;
}

/**
 * Runs a service in a container whose port is published on a fixed host port, so that
 * stop()/launch() keep the address. The container is stopped, not removed, between runs so
 * data written inside it (e.g. Redis' AOF under /data) survives a restart.
 */
export class DockerRuntime implements ServiceRuntime {
  readonly kind = 'docker';
  readonly #spec: RuntimeSpec;
  readonly #log: LogSink;
  #created: Created | undefined;
  #host = '127.0.0.1';
  #running = false;
  #logsEnded: Promise<void> = Promise.resolve();

  constructor(spec: RuntimeSpec) {
    this.#spec = spec;
    this.#log = new LogSink(join(spec.dir, `${spec.name}.log`));
  }

  get host(): string {
    return this.#host;
  }

  get running(): boolean {
    return this.#running;
  }

  async launch(hostPort: number): Promise<void> {
    const { name, docker } = this.#spec;
    if (this.#running) throw new Error(`${name} is already running`);
    this.#log.beginRun(`container ${docker.image} published on host port ${hostPort}`);
    if (this.#created?.hostPort === hostPort) {
      await this.#startExisting(this.#created.started);
    } else {
      await this.#removeContainer();
      await this.#create(hostPort);
    }
    this.#running = true;
    try {
      await this.#waitReady(hostPort);
    } catch (error) {
      await this.kill().catch(() => undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    const created = this.#created;
    if (!created || !this.#running) return;
    const { client, container } = await this.#handles(created.started);
    await client.container.stop(container, { timeout: STOP_TIMEOUT_MS });
    this.#running = false;
  }

  async kill(): Promise<void> {
    const created = this.#created;
    if (!created || !this.#running) return;
    const { client, container } = await this.#handles(created.started);
    await container.kill().catch(() => undefined);
    await waitFor(async () => !(await client.container.inspect(container)).State.Running, {
      description: `${this.#spec.name} container to exit after SIGKILL`,
      timeoutMs: STOP_TIMEOUT_MS,
    });
    this.#running = false;
  }

  async syncConfig(): Promise<void> {
    await this.#created?.started.copyFilesToContainer(this.#configFiles());
  }

  async dispose(): Promise<void> {
    await this.#removeContainer();
    await this.#log.close();
  }

  logTail(): string {
    return this.#log.tail();
  }

  async #create(hostPort: number): Promise<void> {
    const { name, docker } = this.#spec;
    const tc = await loadTestcontainers();
    // Must happen before the container is created: that is when testcontainers adds the
    // host.testcontainers.internal alias and joins it to the port forwarder's network.
    if (docker.hostPorts && docker.hostPorts.length > 0) {
      await tc.TestContainers.exposeHostPorts(...docker.hostPorts);
    }
    const instance = randomUUID();
    const args = this.#spec.args({
      listenHost: '0.0.0.0',
      port: docker.containerPort,
      configDir: CONTAINER_CONFIG_DIR,
      dataDir: docker.dataDir,
    });
    const container = new tc.GenericContainer(docker.image)
      .withCommand([...(docker.commandPrefix ?? []), ...args])
      .withExposedPorts({ container: docker.containerPort, host: hostPort })
      .withLabels({ [INSTANCE_LABEL]: instance })
      .withCopyFilesToContainer(this.#configFiles())
      .withWaitStrategy(new NoWaitStrategy())
      .withStartupTimeout(DOCKER_START_TIMEOUT_MS)
      .withLogConsumer((stream) => this.#follow(stream));
    try {
      const started = await container.start();
      this.#created = { started, hostPort };
      this.#host = started.getHost() === 'localhost' ? '127.0.0.1' : started.getHost();
    } catch (error) {
      const output = await this.#collectAndRemoveFailed(instance);
      throw startError(name, `container ${docker.image}: ${describeError(error)}`, output);
    }
  }

  async #startExisting(started: StartedTestContainer): Promise<void> {
    const { client, container } = await this.#handles(started);
    const since = Math.floor(Date.now() / 1000);
    await client.container.start(container);
    this.#follow(await client.container.logs(container, { since }));
  }

  async #waitReady(hostPort: number): Promise<void> {
    const { name, startTimeoutMs } = this.#spec;
    const created = this.#created;
    if (!created) throw new Error(`${name} container was not created`);
    const { client, container } = await this.#handles(created.started);
    const exited = new AbortController();
    try {
      await waitFor(
        async () => {
          let notReady: unknown;
          const ready = await this.#spec.isReady(this.#host, hostPort).catch((error: unknown) => {
            notReady = error;
            return false;
          });
          if (ready) return true;
          const { State } = await client.container.inspect(container);
          if (!State.Running) {
            // The log stream ends when the container exits; give it a moment to flush.
            await settlesWithin(this.#logsEnded, 2_000);
            exited.abort(
              startError(
                name,
                `container exited early (exit code ${State.ExitCode})`,
                this.logTail(),
              ),
            );
          }
          if (notReady !== undefined) throw notReady;
          return false;
        },
        {
          description: `${name} to accept requests on ${this.#host}:${hostPort}`,
          timeoutMs: startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
          intervalMs: 200,
          signal: exited.signal,
        },
      );
    } catch (error) {
      if (exited.signal.aborted) throw exited.signal.reason;
      throw startError(name, describeError(error), this.logTail());
    }
  }

  #follow(stream: Readable): void {
    this.#logsEnded = new Promise((resolve) => {
      stream.on('data', (chunk: Buffer | string) => this.#log.write(chunk));
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
    });
  }

  #configFiles(): FileToCopy[] {
    return this.#spec.configFiles().map((file) => ({
      source: join(this.#spec.dir, file),
      target: posix.join(CONTAINER_CONFIG_DIR, file),
      // Prometheus and Alertmanager images run as `nobody`.
      mode: 0o644,
    }));
  }

  async #handles(
    started: StartedTestContainer,
  ): Promise<{ client: ContainerRuntimeClient; container: DockerContainer }> {
    const client = await (await loadTestcontainers()).getContainerRuntimeClient();
    return { client, container: client.container.getById(started.getId()) };
  }

  async #removeContainer(): Promise<void> {
    const created = this.#created;
    if (!created) return;
    this.#created = undefined;
    this.#running = false;
    const { client, container } = await this.#handles(created.started);
    await client.container.stop(container, { timeout: STOP_TIMEOUT_MS }).catch(() => undefined);
    await client.container.remove(container, { removeVolumes: true });
  }

  /** A container that failed during start() is not handed to us; find it by label. */
  async #collectAndRemoveFailed(instance: string): Promise<string> {
    try {
      const client = await (await loadTestcontainers()).getContainerRuntimeClient();
      const container = await client.container.fetchByLabel(INSTANCE_LABEL, instance);
      if (!container) return this.logTail();
      const logs = await client.container.logs(container, { tail: 100 });
      let output = '';
      logs.on('data', (chunk: Buffer | string) => (output += chunk.toString()));
      await settlesWithin(
        new Promise((resolve) => logs.once('end', resolve).once('error', resolve)),
        2_000,
      );
      await client.container.stop(container, { timeout: 0 }).catch(() => undefined);
      await client.container.remove(container, { removeVolumes: true }).catch(() => undefined);
      return output || this.logTail();
    } catch {
      return this.logTail();
    }
  }
}

/** Readiness is polled by DockerRuntime itself, so that it can also notice early exits. */
class NoWaitStrategy implements WaitStrategy {
  #startupTimeoutMs = DOCKER_START_TIMEOUT_MS;

  waitUntilReady(): Promise<void> {
    return Promise.resolve();
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.#startupTimeoutMs = startupTimeoutMs;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return true;
  }

  getStartupTimeout(): number {
    return this.#startupTimeoutMs;
  }
}

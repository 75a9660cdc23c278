import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { trackChild } from './cleanup.js';
import { LogSink } from './log-sink.js';
import {
  DEFAULT_START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  startError,
  type RuntimeSpec,
  type ServiceRuntime,
} from './runtime.js';
import { settlesWithin, waitFor } from './wait-for.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

interface Running {
  child: ChildProcess;
  exited: Promise<Exit>;
}

/** Runs a service as a child process of this process, listening on 127.0.0.1. */
export class LocalRuntime implements ServiceRuntime {
  readonly kind = 'local';
  readonly host = '127.0.0.1';
  readonly #spec: RuntimeSpec;
  readonly #binary: string;
  readonly #log: LogSink;
  #current: Running | undefined;

  constructor(spec: RuntimeSpec, binary: string) {
    this.#spec = spec;
    this.#binary = binary;
    this.#log = new LogSink(join(spec.dir, `${spec.name}.log`));
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  async launch(port: number): Promise<void> {
    const { name, dir } = this.#spec;
    if (this.#current) throw new Error(`${name} is already running`);
    const dataDir = join(dir, 'data');
    await mkdir(dataDir, { recursive: true });
    const args = this.#spec.args({ listenHost: this.host, port, configDir: dir, dataDir });
    this.#log.beginRun(`${this.#binary} ${args.join(' ')}`);

    const child = spawn(this.#binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = trackChild(child);
    child.stdout.on('data', (chunk: Buffer) => this.#log.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => this.#log.write(chunk));
    const exited = new Promise<Exit>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      // 'close' (not 'exit') so that all output is in the log when we report a failure.
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).then((exit) => {
      untrack();
      if (this.#current?.child === child) this.#current = undefined;
      return exit;
    });
    this.#current = { child, exited };

    const earlyExit = new AbortController();
    void exited.then((exit) =>
      earlyExit.abort(startError(name, `it exited early (${describeExit(exit)})`, this.logTail())),
    );
    try {
      await waitFor(() => this.#spec.isReady(this.host, port), {
        description: `${name} to accept requests on ${this.host}:${port}`,
        timeoutMs: this.#spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
        signal: earlyExit.signal,
      });
    } catch (error) {
      if (earlyExit.signal.aborted) throw earlyExit.signal.reason;
      await this.kill();
      throw startError(
        name,
        error instanceof Error ? error.message : String(error),
        this.logTail(),
      );
    }
  }

  stop(): Promise<void> {
    return this.#terminate('SIGTERM');
  }

  kill(): Promise<void> {
    return this.#terminate('SIGKILL');
  }

  async syncConfig(): Promise<void> {
    // The process reads its config straight from the temp dir.
  }

  async dispose(): Promise<void> {
    await this.stop();
    await this.#log.close();
  }

  logTail(): string {
    return this.#log.tail();
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const current = this.#current;
    if (!current) return;
    current.child.kill(signal);
    if (!(await settlesWithin(current.exited, STOP_TIMEOUT_MS))) {
      current.child.kill('SIGKILL');
      await current.exited;
    }
  }
}

function describeExit({ code, signal, error }: Exit): string {
  if (error) return `could not run it: ${error.message}`;
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

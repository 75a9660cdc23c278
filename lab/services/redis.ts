import { connect } from 'node:net';
import { chooseBackend } from './backend.js';
import { makeTempDir } from './cleanup.js';
import { createRuntime, ManagedService, type ServiceHandle } from './managed-service.js';
import type { RuntimeSpec } from './runtime.js';

export interface RedisOptions {
  /** Persist with AOF (appendonly yes), so data survives stop()/start() and kill()/start(). */
  appendOnly?: boolean;
  /** With appendOnly: when the AOF is fsynced; Redis's default (and production's) is everysec. */
  appendFsync?: 'always' | 'everysec' | 'no';
  startTimeoutMs?: number;
}

export interface RedisHandle extends ServiceHandle {
  /** redis://HOST:PORT */
  readonly url: string;
}

class RedisService extends ManagedService implements RedisHandle {
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }
}

/** Starts a real Redis (no RDB snapshots; AOF only if asked) on a free port. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisHandle> {
  const choice = await chooseBackend('redis');
  const dir = await makeTempDir('redis');
  const spec: RuntimeSpec = {
    name: 'redis',
    dir,
    args: ({ listenHost, port, dataDir }) => [
      ...['--port', String(port), '--bind', listenHost, '--dir', dataDir],
      ...['--save', '', '--appendonly', options.appendOnly ? 'yes' : 'no'],
      ...(options.appendFsync ? ['--appendfsync', options.appendFsync] : []),
      ...['--protected-mode', 'no', '--daemonize', 'no'],
    ],
    configFiles: () => [],
    isReady: redisPing,
    startTimeoutMs: options.startTimeoutMs,
    docker: {
      image: 'redis:7.2',
      containerPort: 6379,
      dataDir: '/data',
      commandPrefix: ['redis-server'],
    },
  };
  return new RedisService(createRuntime(choice, spec), dir).init();
}

/**
 * Sends PING over a raw socket; resolves true on +PONG and rejects otherwise (connection
 * refused, or e.g. "-LOADING" while Redis replays its AOF), so pollers see why it is not ready.
 */
export function redisPing(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (error?: Error): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(true);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no PING reply within ${timeoutMs}ms`)));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      const line = reply.slice(0, reply.indexOf('\r\n'));
      finish(line === '+PONG' ? undefined : new Error(`PING answered ${JSON.stringify(line)}`));
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed before the PING reply')));
  });
}

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const TOKEN_A = 'a'.repeat(16);
const TOKEN_B = 'b'.repeat(20);

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives working defaults for a local setup', () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.worker).toEqual({ concurrency: 2, leaseDurationMs: 8_000 });
    expect(config.namespaceAllowlist).toEqual([]);
    expect(config.prometheus).toBeUndefined();
    expect(config.api.tokens).toEqual({ viewer: [], operator: [], admin: [] });
    expect(config.log).toEqual({ level: 'info', format: 'auto' });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://:pw@redis.example:6380/2',
      GAMEDAY_KUBE_CONTEXT: 'staging',
      PROMETHEUS_URL: 'https://prom.example/',
      PROMETHEUS_BEARER_TOKEN: 'tok',
      ALERTMANAGER_URL: 'http://am:9093',
      ALERTMANAGER_BASIC_AUTH: 'user:pa:ss',
      GAMEDAY_API_TOKENS_VIEWER: ` ${TOKEN_A} ,`,
      GAMEDAY_API_TOKENS_ADMIN: TOKEN_B,
      GAMEDAY_WEBHOOK_SECRET: 'w'.repeat(32),
      GAMEDAY_NAMESPACE_ALLOWLIST: 'istio-system, payments',
      GAMEDAY_WORKER_CONCURRENCY: '8',
      GAMEDAY_LEASE_DURATION: '1m30s',
      GAMEDAY_API_PORT: '0',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
    });
    expect(config.redisUrl).toBe('rediss://:pw@redis.example:6380/2');
    expect(config.kube.context).toBe('staging');
    expect(config.prometheus).toEqual({
      url: 'https://prom.example',
      auth: { type: 'bearer', token: 'tok' },
      caFile: undefined,
    });
    expect(config.alertmanager?.auth).toEqual({
      type: 'basic',
      username: 'user',
      password: 'pa:ss',
    });
    expect(config.api.tokens).toEqual({ viewer: [TOKEN_A], operator: [], admin: [TOKEN_B] });
    expect(config.namespaceAllowlist).toEqual(['istio-system', 'payments']);
    expect(config.worker).toEqual({ concurrency: 8, leaseDurationMs: 90_000 });
    expect(config.api.port).toBe(0);
    expect(config.log).toEqual({ level: 'debug', format: 'json' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '', PROMETHEUS_URL: '' }).redisUrl).toBe(
      'redis://127.0.0.1:6379',
    );
  });

  it.each([
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: expected a redis:// or rediss:// URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL: expected a redis://'],
    [{ PROMETHEUS_URL: 'prom:9090' }, 'PROMETHEUS_URL: expected a http:// or https:// URL'],
    [
      { GAMEDAY_WORKER_CONCURRENCY: '0' },
      'GAMEDAY_WORKER_CONCURRENCY: expected an integer from 1 to 64',
    ],
    [{ GAMEDAY_WORKER_CONCURRENCY: 'two' }, 'GAMEDAY_WORKER_CONCURRENCY: expected an integer'],
    [{ GAMEDAY_LEASE_DURATION: '30' }, 'GAMEDAY_LEASE_DURATION: expected a duration'],
    [{ GAMEDAY_LEASE_DURATION: '1s' }, 'from 2s to 10m'],
    [{ GAMEDAY_API_PORT: '70000' }, 'GAMEDAY_API_PORT: expected an integer from 0 to 65535'],
    [
      { GAMEDAY_API_TOKENS_ADMIN: 'short' },
      'GAMEDAY_API_TOKENS_ADMIN: expected comma-separated tokens of at least 16',
    ],
    [
      { GAMEDAY_WEBHOOK_SECRET: 'short' },
      'GAMEDAY_WEBHOOK_SECRET: expected a secret of at least 16',
    ],
    [{ GAMEDAY_NAMESPACE_ALLOWLIST: 'Istio_System' }, 'GAMEDAY_NAMESPACE_ALLOWLIST'],
    [
      { PROMETHEUS_CA_FILE: '/nonexistent/ca.pem', PROMETHEUS_URL: 'http://p' },
      'PROMETHEUS_CA_FILE: expected the path of an existing',
    ],
    [{ KUBECONFIG: '/nonexistent/kubeconfig' }, 'KUBECONFIG: expected existing kubeconfig'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: expected one of fatal, error'],
    [
      { PROMETHEUS_BEARER_TOKEN: 't' },
      'PROMETHEUS_URL: expected a URL when PROMETHEUS credentials',
    ],
    [
      {
        ALERTMANAGER_URL: 'http://am',
        ALERTMANAGER_BEARER_TOKEN: 't',
        ALERTMANAGER_BASIC_AUTH: 'u:p',
      },
      'expected at most one of them',
    ],
    [
      { GAMEDAY_API_TOKENS_VIEWER: TOKEN_A, GAMEDAY_API_TOKENS_ADMIN: TOKEN_A },
      'GAMEDAY_API_TOKENS_ADMIN: expected tokens not also listed for role viewer',
    ],
  ])('rejects %j naming the variable', (env, expected) => {
    const problems = problemsOf(env);
    expect(problems.join('\n')).toContain(expected);
  });

  it('reports every bad variable at once, in one line', () => {
    const err = (() => {
      try {
        loadConfig({ REDIS_URL: 'nope', GAMEDAY_WORKER_CONCURRENCY: '-1' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.problems).toHaveLength(2);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(
      /^configuration error: REDIS_URL: .*; GAMEDAY_WORKER_CONCURRENCY: /,
    );
  });

  it('never echoes secret values in its errors', () => {
    const secret = 'super-secret-value-with space';
    const problems = problemsOf({
      GAMEDAY_API_TOKENS_ADMIN: secret,
      GAMEDAY_WEBHOOK_SECRET: 'tiny',
    });
    expect(problems.join(' ')).not.toContain('super-secret');
    expect(problems.join(' ')).not.toContain('tiny');
  });
});

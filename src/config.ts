import { existsSync } from 'node:fs';
import { z } from 'zod';

/** How long a run's lease lasts without renewal (GAMEDAY_LEASE_DURATION). */
export const DEFAULT_LEASE_MS = 8_000;
import { DURATION_HINT, formatDuration, parseDuration } from './duration.js';

/**
 * The whole process configuration, read once from environment variables at start.
 * Every variable is validated here so a misconfigured process stops before it
 * touches Redis or a cluster, with one line naming the variable at fault.
 */
export interface GamedayConfig {
  redisUrl: string;
  kube: {
    kubeconfig: string | undefined;
    context: string | undefined;
    /** Longest wait for one Kubernetes API request before it is abandoned (and retried). */
    requestTimeoutMs: number;
  };
  prometheus: HttpEndpoint | undefined;
  alertmanager: HttpEndpoint | undefined;
  api: {
    host: string;
    port: number;
    tokens: Record<Role, string[]>;
    webhookSecret: string | undefined;
  };
  namespaceAllowlist: string[];
  /** The scenario catalogue directory the API serves and runs by name. */
  scenariosDir: string;
  worker: { concurrency: number; leaseDurationMs: number };
  shutdownTimeoutMs: number;
  log: { level: LogLevel; format: 'auto' | 'json' | 'pretty' };
}

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export type HttpAuth =
  | { type: 'bearer'; token: string }
  | { type: 'bearerFile'; path: string }
  | { type: 'basic'; username: string; password: string };

export interface HttpEndpoint {
  url: string;
  auth: HttpAuth | undefined;
  caFile: string | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Raised for any invalid variable; `message` is the single line shown to the operator. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration error: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const MIN_SECRET_LENGTH = 16;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const urlWithProtocols = (protocols: string[], example: string) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    `expected a ${protocols.map((p) => `${p}//`).join(' or ')} URL such as ${example}`,
  );

const httpUrl = urlWithProtocols(['http:', 'https:'], 'http://127.0.0.1:9090');

const existingFile = z
  .string()
  .refine((path) => existsSync(path), 'expected the path of an existing, readable file');

const durationBetween = (minMs: number, maxMs: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${DURATION_HINT}, from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const integerBetween = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected an integer from ${min} to ${max}`);

/** A comma-separated list (`a, b,c`): trimmed, empty items dropped, each checked by `item`. */
export const commaList = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(item));

const apiToken = z
  .string()
  .refine(
    (t) => t.length >= MIN_SECRET_LENGTH && !/\s/.test(t),
    `expected comma-separated tokens of at least ${MIN_SECRET_LENGTH} characters without spaces`,
  );

const basicAuth = z
  .string()
  .regex(/^[^:]+:.+$/, 'expected user:password')
  .transform((text) => {
    const colon = text.indexOf(':');
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  });

const endpointVariables = (prefix: 'PROMETHEUS' | 'ALERTMANAGER') => ({
  [`${prefix}_URL`]: httpUrl.optional(),
  [`${prefix}_BEARER_TOKEN`]: z.string().optional(),
  [`${prefix}_BEARER_TOKEN_FILE`]: existingFile.optional(),
  [`${prefix}_BASIC_AUTH`]: basicAuth.optional(),
  [`${prefix}_CA_FILE`]: existingFile.optional(),
});

const envSchema = z.object({
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').default(
    'redis://127.0.0.1:6379',
  ),
  KUBECONFIG: z
    .string()
    .refine(
      (value) => value.split(':').every((path) => path === '' || existsSync(path)),
      'expected existing kubeconfig file paths separated by ":"',
    )
    .optional(),
  GAMEDAY_KUBE_CONTEXT: z.string().optional(),
  GAMEDAY_KUBE_REQUEST_TIMEOUT: durationBetween(500, 600_000).default(15_000),
  ...endpointVariables('PROMETHEUS'),
  ...endpointVariables('ALERTMANAGER'),
  GAMEDAY_API_HOST: z.string().default('127.0.0.1'),
  GAMEDAY_API_PORT: integerBetween(0, 65535).default(8080),
  GAMEDAY_API_TOKENS_VIEWER: commaList(apiToken).default([]),
  GAMEDAY_API_TOKENS_OPERATOR: commaList(apiToken).default([]),
  GAMEDAY_API_TOKENS_ADMIN: commaList(apiToken).default([]),
  GAMEDAY_WEBHOOK_SECRET: z
    .string()
    .min(MIN_SECRET_LENGTH, `expected a secret of at least ${MIN_SECRET_LENGTH} characters`)
    .optional(),
  GAMEDAY_NAMESPACE_ALLOWLIST: commaList(
    z.string().regex(DNS1123_LABEL, 'expected comma-separated Kubernetes namespace names'),
  ).default([]),
  GAMEDAY_SCENARIOS_DIR: z.string().default('scenarios'),
  GAMEDAY_WORKER_CONCURRENCY: integerBetween(1, 64).default(2),
  GAMEDAY_LEASE_DURATION: durationBetween(2_000, 600_000).default(DEFAULT_LEASE_MS),
  GAMEDAY_SHUTDOWN_TIMEOUT: durationBetween(1_000, 600_000).default(30_000),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'], { error: 'expected one of auto, json, pretty' })
    .default('auto'),
});

type Env = z.output<typeof envSchema>;

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GamedayConfig {
  // Compose files and Helm values often render unset variables as empty strings.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map(describeIssue));
  }
  const vars = parsed.data;
  const problems: string[] = [];
  const config: GamedayConfig = {
    redisUrl: vars.REDIS_URL,
    kube: {
      kubeconfig: vars.KUBECONFIG,
      context: vars.GAMEDAY_KUBE_CONTEXT,
      requestTimeoutMs: vars.GAMEDAY_KUBE_REQUEST_TIMEOUT,
    },
    prometheus: endpoint(vars, 'PROMETHEUS', problems),
    alertmanager: endpoint(vars, 'ALERTMANAGER', problems),
    api: {
      host: vars.GAMEDAY_API_HOST,
      port: vars.GAMEDAY_API_PORT,
      tokens: {
        viewer: vars.GAMEDAY_API_TOKENS_VIEWER,
        operator: vars.GAMEDAY_API_TOKENS_OPERATOR,
        admin: vars.GAMEDAY_API_TOKENS_ADMIN,
      },
      webhookSecret: vars.GAMEDAY_WEBHOOK_SECRET,
    },
    namespaceAllowlist: vars.GAMEDAY_NAMESPACE_ALLOWLIST,
    scenariosDir: vars.GAMEDAY_SCENARIOS_DIR,
    worker: {
      concurrency: vars.GAMEDAY_WORKER_CONCURRENCY,
      leaseDurationMs: vars.GAMEDAY_LEASE_DURATION,
    },
    shutdownTimeoutMs: vars.GAMEDAY_SHUTDOWN_TIMEOUT,
    log: { level: vars.LOG_LEVEL, format: vars.LOG_FORMAT },
  };
  problems.push(...tokensInSeveralRoles(config.api.tokens));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const [variable, entry] = issue.path;
  const which = typeof entry === 'number' ? ` (entry ${entry + 1})` : '';
  return `${String(variable)}: ${issue.message}${which}`;
}

function endpoint(
  vars: Env,
  prefix: 'PROMETHEUS' | 'ALERTMANAGER',
  problems: string[],
): HttpEndpoint | undefined {
  const read = <T>(suffix: string) => (vars as Record<string, unknown>)[`${prefix}_${suffix}`] as T;
  const url = read<string | undefined>('URL');
  const token = read<string | undefined>('BEARER_TOKEN');
  const tokenFile = read<string | undefined>('BEARER_TOKEN_FILE');
  const basic = read<{ username: string; password: string } | undefined>('BASIC_AUTH');
  const caFile = read<string | undefined>('CA_FILE');

  const authVariables = [token, tokenFile, basic].filter((v) => v !== undefined).length;
  if (authVariables > 1) {
    problems.push(
      `${prefix}_BEARER_TOKEN, ${prefix}_BEARER_TOKEN_FILE, ${prefix}_BASIC_AUTH: expected at most one of them`,
    );
  }
  if (url === undefined) {
    if (authVariables > 0 || caFile !== undefined) {
      problems.push(`${prefix}_URL: expected a URL when ${prefix} credentials or CA file are set`);
    }
    return undefined;
  }
  const auth: HttpAuth | undefined =
    token !== undefined
      ? { type: 'bearer', token }
      : tokenFile !== undefined
        ? { type: 'bearerFile', path: tokenFile }
        : basic !== undefined
          ? { type: 'basic', ...basic }
          : undefined;
  return { url: url.replace(/\/+$/, ''), auth, caFile };
}

function tokensInSeveralRoles(tokens: Record<Role, string[]>): string[] {
  const seen = new Map<string, Role>();
  for (const role of ROLES) {
    for (const token of tokens[role]) {
      const other = seen.get(token);
      if (other !== undefined && other !== role) {
        return [
          `GAMEDAY_API_TOKENS_${role.toUpperCase()}: expected tokens not also listed for role ${other} (give each token one role; higher roles include lower ones)`,
        ];
      }
      seen.set(token, role);
    }
  }
  return [];
}

import { delimiter } from 'node:path';
import {
  ApisApi,
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  ServerConfiguration,
  wrapHttpLibrary,
  type Configuration,
  type RequestContext,
} from '@kubernetes/client-node';

/** The typed API clients the faults use, from one kubeconfig and context. */
export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  custom: CustomObjectsApi;
  apis: ApisApi;
  /** Kind-generic access (discovers the resource for an apiVersion/kind), used for journaled writes. */
  objects: KubernetesObjectApi;
}

/**
 * How long one API request may take before it is abandoned. client-node sets no timeout of its
 * own, so a request the API server (or a proxy before it) never answers would hang a run — and
 * its revert — forever; abandoned, it fails like a dropped connection and is retried.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** A request the API server did not answer within the client's per-request timeout. */
export class KubeRequestTimeout extends Error {
  override name = 'KubeRequestTimeout';
}

export function kubeClients(
  config: KubeConfig,
  options: { requestTimeoutMs?: number } = {},
): KubeClients {
  const configuration = timedConfiguration(
    config,
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  );
  const objects = TimedObjectApi.make(config, configuration);
  return {
    config,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    networking: new NetworkingV1Api(configuration),
    custom: new CustomObjectsApi(configuration),
    apis: new ApisApi(configuration),
    objects,
  };
}

/** `KubernetesObjectApi.makeApiClient`, on a given configuration. */
class TimedObjectApi extends KubernetesObjectApi {
  static make(config: KubeConfig, configuration: Configuration): KubernetesObjectApi {
    const api = new TimedObjectApi(configuration);
    api.setDefaultNamespace(config);
    return api;
  }
}

/** What `KubeConfig.makeApiClient` builds, with every request bounded by `timeoutMs`. */
function timedConfiguration(config: KubeConfig, timeoutMs: number): Configuration {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  const fetch = new IsomorphicFetchHttpLibrary();
  const httpApi = wrapHttpLibrary({
    async send(request: RequestContext) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const own = request.getSignal();
      request.setSignal(own ? AbortSignal.any([own, timeout]) : timeout);
      try {
        const response = await fetch.send(request).toPromise();
        // The body is read later; read it now so a body that never ends is bounded too.
        const bytes = await response.body.binary();
        response.body = {
          text: () => Promise.resolve(bytes.toString('utf8')),
          binary: () => Promise.resolve(bytes),
        };
        return response;
      } catch (err) {
        if (!timeout.aborted) throw err;
        const url = new URL(request.getUrl());
        throw new KubeRequestTimeout(
          `no answer from the Kubernetes API server within ${timeoutMs} ms (${request.getHttpMethod()} ${url.pathname})`,
        );
      }
    },
  });
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: config },
    httpApi,
  });
}

/** A kubeconfig from a file (or the default chain when none is given), with an optional context. */
export function loadKubeConfig(options: {
  kubeconfig?: string;
  context?: string;
  yaml?: string;
}): KubeConfig {
  const config = new KubeConfig();
  if (options.yaml !== undefined) config.loadFromString(options.yaml);
  else if (options.kubeconfig) loadFiles(config, options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) config.setCurrentContext(options.context);
  return config;
}

/**
 * A KUBECONFIG-style list of files (`:`-separated), merged as kubectl merges them: every file's
 * clusters, users and contexts, and the current context of the first file that sets one.
 */
function loadFiles(config: KubeConfig, list: string): void {
  const [first, ...rest] = list.split(delimiter).filter((file) => file !== '');
  if (first === undefined) return config.loadFromDefault();
  config.loadFromFile(first);
  for (const file of rest) {
    const next = new KubeConfig();
    next.loadFromFile(file);
    config.mergeConfig(next, Boolean(config.currentContext));
  }
}

import {
  ApisApi,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
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

export function kubeClients(config: KubeConfig): KubeClients {
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    apis: config.makeApiClient(ApisApi),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}

/** A kubeconfig from a file (or the default chain when none is given), with an optional context. */
export function loadKubeConfig(options: {
  kubeconfig?: string;
  context?: string;
  yaml?: string;
}): KubeConfig {
  const config = new KubeConfig();
  if (options.yaml !== undefined) config.loadFromString(options.yaml);
  else if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) config.setCurrentContext(options.context);
  return config;
}

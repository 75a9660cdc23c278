import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  token: string;
  /** Cluster, user and context name. */
  name?: string;
  namespace?: string;
}

/** A kubeconfig document that points kubectl and @kubernetes/client-node at the lab. */
export function kubeconfigYaml({
  server,
  token,
  name = 'gameday-lab',
  namespace,
}: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http unless TLS verification is declared off; there is no TLS to verify.
    clusters: [
      {
        name,
        cluster: {
          server,
          ...(server.startsWith('http:') && { 'insecure-skip-tls-verify': true }),
        },
      },
    ],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, ...(namespace && { namespace }) } }],
    'current-context': name,
    preferences: {},
  });
}

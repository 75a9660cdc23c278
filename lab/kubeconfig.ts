import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  token: string;
  /** PEM of the CA that signed the server's certificate. */
  certificateAuthority?: string;
  /** Cluster, user and context name. */
  name?: string;
  namespace?: string;
}

/** A kubeconfig document that points kubectl and @kubernetes/client-node at the lab. */
export function kubeconfigYaml({
  server,
  token,
  certificateAuthority,
  name = 'gameday-lab',
  namespace,
}: KubeconfigOptions): string {
  const cluster = certificateAuthority
    ? { server, 'certificate-authority-data': Buffer.from(certificateAuthority).toString('base64') }
    : // client-node refuses plain http unless TLS verification is declared off; kubectl will not
      // send a token over it at all, so plain http only serves in-process tests.
      { server, 'insecure-skip-tls-verify': true };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, ...(namespace && { namespace }) } }],
    'current-context': name,
    preferences: {},
  });
}

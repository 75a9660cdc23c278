import { request } from 'node:https';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { Lab } from '../../lab/index.js';
import { kubeClients, type KubeClients } from '../../src/kube/clients.js';
import { waitFor } from './wait-for.js';

/**
 * Faults applied to the mesh lab with plain API writes (what an operator with kubectl would
 * do), not with the product's fault code, and an external client of its gateway.
 */
export class MeshLabDriver {
  readonly kube: KubeClients;

  constructor(readonly lab: Lab) {
    const config = new KubeConfig();
    config.loadFromString(lab.kubeconfig());
    this.kube = kubeClients(config);
  }

  get mesh() {
    const mesh = this.lab.mesh;
    if (!mesh) throw new Error('the lab runs without its mesh model');
    return mesh;
  }

  connectedProxies(): number {
    return this.mesh.proxies().filter((p) => p.connected).length;
  }

  async istiodPods(): Promise<V1Pod[]> {
    const list = await this.kube.core.listNamespacedPod({
      namespace: 'istio-system',
      labelSelector: 'app=istiod',
    });
    return list.items;
  }

  async restartIstiod(): Promise<void> {
    for (const pod of await this.istiodPods())
      await this.kube.core.deleteNamespacedPod({
        namespace: 'istio-system',
        name: pod.metadata?.name ?? '',
      });
  }

  /** A NetworkPolicy selecting istiod that admits only `keep`: every other port is blocked. */
  async keepIstiodPorts(name: string, keep: number[]): Promise<void> {
    await this.kube.networking.createNamespacedNetworkPolicy({
      namespace: 'istio-system',
      body: {
        metadata: { name },
        spec: {
          podSelector: { matchLabels: { app: 'istiod' } },
          policyTypes: ['Ingress'],
          ingress: [{ ports: keep.map((port) => ({ port, protocol: 'TCP' })) }],
        },
      },
    });
  }

  /** istiod's memory limit and request (null removes the limit) and its rollout strategy. */
  async setIstiodMemory(limit: string | null, strategy: object): Promise<void> {
    await this.kube.apps.patchNamespacedDeployment(
      {
        namespace: 'istio-system',
        name: 'istiod',
        body: {
          spec: {
            strategy,
            template: {
              spec: {
                containers: [
                  {
                    name: 'discovery',
                    resources: { limits: { memory: limit }, requests: { memory: limit ?? '2Gi' } },
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }

  async createAuthorizationPolicy(namespace: string, name: string, spec: object): Promise<void> {
    await this.kube.custom.createNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace,
      plural: 'authorizationpolicies',
      body: {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name },
        spec,
      },
    });
  }

  /** Removes every NetworkPolicy in istio-system and every AuthorizationPolicy in `namespaces`. */
  async removePolicies(namespaces: string[]): Promise<void> {
    const netpols = await this.kube.networking.listNamespacedNetworkPolicy({
      namespace: 'istio-system',
    });
    for (const policy of netpols.items)
      await this.kube.networking.deleteNamespacedNetworkPolicy({
        namespace: 'istio-system',
        name: policy.metadata?.name ?? '',
      });
    for (const namespace of namespaces) {
      const list = (await this.kube.custom.listNamespacedCustomObject({
        group: 'security.istio.io',
        version: 'v1',
        namespace,
        plural: 'authorizationpolicies',
      })) as { items: Array<{ metadata: { name: string } }> };
      for (const policy of list.items)
        await this.kube.custom.deleteNamespacedCustomObject({
          group: 'security.istio.io',
          version: 'v1',
          namespace,
          plural: 'authorizationpolicies',
          name: policy.metadata.name,
        });
    }
  }

  /**
   * Waits until one istiod serves, every Deployment is available again (pods a fault kept
   * unready are back in the endpoints) and every proxy holds a stream to istiod.
   */
  async settled(timeoutMs = 20_000): Promise<void> {
    await this.mesh.ready(timeoutMs);
    await waitFor(
      async () =>
        (await this.istiodPods()).length === 1 &&
        this.connectedProxies() === this.mesh.proxies().length,
      { description: 'every proxy connected to istiod', timeoutMs },
    );
  }

  /** One HTTPS request to the gateway for shop.example.com, without verifying the certificate. */
  probe(): Promise<{ status: number; body: string }> {
    const url = new URL(this.#gatewayUrl());
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/',
          servername: 'shop.example.com',
          headers: { host: 'shop.example.com' },
          rejectUnauthorized: false,
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * A verifying TLS handshake with the gateway for shop.example.com, trusting the CA at the
   * end of the chain it serves: `ok`, or the error code (e.g. CERT_HAS_EXPIRED).
   */
  handshake(): Promise<string> {
    const url = new URL(this.#gatewayUrl());
    return new Promise((resolve) => {
      // First learn the chain without verifying, then verify against its own root.
      const peek = connect(
        {
          host: url.hostname,
          port: Number(url.port),
          servername: 'shop.example.com',
          rejectUnauthorized: false,
        },
        () => {
          let cert: DetailedPeerCertificate = peek.getPeerCertificate(true);
          while (cert.issuerCertificate && cert.issuerCertificate !== cert)
            cert = cert.issuerCertificate;
          const root = `-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64')}\n-----END CERTIFICATE-----\n`;
          peek.end();
          const verify = connect(
            {
              host: url.hostname,
              port: Number(url.port),
              servername: 'shop.example.com',
              ca: [root],
            },
            () => {
              verify.end();
              resolve('ok');
            },
          );
          verify.on('error', (error: NodeJS.ErrnoException) =>
            resolve(error.code ?? error.message),
          );
        },
      );
      peek.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  }

  #gatewayUrl(): string {
    const gateway = this.lab.gateway;
    if (!gateway) throw new Error('the lab runs without its gateway listener');
    return gateway.httpsUrl;
  }
}

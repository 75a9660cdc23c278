import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_RULES, type LabUser, type PolicyRule } from './apiserver/auth.js';
import { Registry } from './apiserver/registry.js';
import { ObjectStore } from './apiserver/store.js';
import { startApiServer, type AuditEvent } from './apiserver/server.js';
import { ApiFailures } from './apiserver/failures.js';
import { realClock } from './controllers/clock.js';
import type { WorkingSet } from './controllers/kubelet.js';
import { startControllers, type ControllerManager } from './controllers/manager.js';
import { createCertificateAuthority, issueCertificate } from '../src/pki.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { seedNamespaces } from './seed.js';
import { seedTopology } from './topology.js';
import { startGatewayListener } from './mesh/gateway.js';
import { MeshModel, type MeshOptions } from './mesh/model.js';
import { startTelemetry } from './telemetry/index.js';

export interface LabOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The admin's bearer token; random when omitted. */
  adminToken?: string;
  /** Extra users with limited RBAC rules, e.g. to test how the product handles Forbidden. */
  users?: Array<{ name: string; token: string; rules: PolicyRule[] }>;
  /** Write a kubeconfig for the admin here. */
  kubeconfigPath?: string;
  /** Serve the API over HTTPS with a lab CA (default); kubectl sends tokens only over TLS. */
  tls?: boolean;
  /** How much faster than real time cluster durations (back-off, deadlines) pass; default 1. */
  speed?: number;
  /** How many changes watches can resume from (etcd compaction); older resourceVersions get 410. */
  watchHistory?: number;
  /** `topology` (default): the seeded mesh of SPEC §9; `namespaces`: an empty cluster. */
  seed?: 'topology' | 'namespaces';
  /** Memory each container uses; decides which containers are OOM-killed. */
  workingSet?: WorkingSet;
  /** The mesh model (traffic, churn, certificates); `false` for a bare Kubernetes API. */
  mesh?: MeshOptions | false;
}

export interface Lab {
  /** Base URL of the lab's Kubernetes API server. */
  url: string;
  adminToken: string;
  registry: Registry;
  controllers: ControllerManager;
  /**
   * Failures the API server answers chosen requests with (error statuses, hung requests,
   * dropped connections): `add` a rule, `remove`/`clear` them, `list` what they matched.
   */
  apiFailures: ApiFailures;
  /** Calls `listener` for every request the API server answers from now on; returns the unsubscribe. */
  onRequest(listener: (event: AuditEvent) => void): () => void;
  /** A kubeconfig (YAML) for `user`, the admin by default. */
  kubeconfig(user?: string): string;
  /** The simulated mesh; absent with `mesh: false`. */
  mesh?: MeshModel;
  /** Prometheus targets of every component, and their HTTP service discovery. */
  telemetry?: { url: string; sdUrl: string };
  /**
   * The ingress gateway's listeners on loopback, and a PEM file of the CA that issued the
   * shop's certificate (what a client of https://shop.example.com trusts).
   */
  gateway?: { httpsUrl: string; httpUrl: string; caFile: string };
  stop(): Promise<void>;
}

/** Starts the mesh lab in this process: a Kubernetes API server with the seeded cluster. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
  const users: LabUser[] = [
    { name: 'gameday-lab-admin', token: adminToken, rules: ADMIN_RULES },
    ...(options.users ?? []),
  ];
  const registry = new Registry(new ObjectStore(options.watchHistory));
  const clock = realClock(options.speed ?? 1);
  const host = options.host ?? '127.0.0.1';
  const baseWorkingSet = options.workingSet ?? defaultWorkingSet;
  const mesh =
    options.mesh === false
      ? undefined
      : new MeshModel(registry, clock, baseWorkingSet, options.mesh);
  seedNamespaces(registry);
  const seeded =
    (options.seed ?? 'topology') === 'topology' ? await seedTopology(registry) : undefined;
  const files = await mkdtemp(join(tmpdir(), 'gameday-lab-'));
  const caFile = join(files, 'shop-ca.pem');
  if (seeded) await writeFile(caFile, seeded.shopCaPem);
  const telemetry =
    mesh && (await startTelemetry({ registry, state: mesh, workingSet: mesh.workingSet, host }));
  const controllers = startControllers(
    registry,
    clock,
    mesh?.workingSet ?? baseWorkingSet,
    mesh?.behaviour,
  );
  const gateway =
    mesh &&
    telemetry &&
    (await startGatewayListener({
      registry,
      events: telemetry.events,
      gatewayPod: () => mesh.gatewayWorkload(),
      route: (request) => {
        const outcome = mesh.route(request);
        return { status: outcome.code, body: outcome.body };
      },
      host,
    }));
  if (mesh && telemetry && gateway) {
    mesh.attachGateway(gateway);
    mesh.start(telemetry.events);
  }
  const ca = await createCertificateAuthority('gameday-lab-ca');
  const serving = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    hosts: [...new Set([host, '127.0.0.1', 'localhost', 'kubernetes.default.svc'])],
  });
  const auditListeners = new Set<(event: AuditEvent) => void>();
  const apiFailures = new ApiFailures();
  const api = await startApiServer({
    registry,
    users,
    failures: apiFailures,
    audit: (event) => {
      for (const listener of auditListeners) listener(event);
    },
    ...((options.tls ?? true) && { tls: { cert: serving.cert, key: serving.key } }),
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
  });
  const kubeconfig = (userName = 'gameday-lab-admin') => {
    const user = users.find((u) => u.name === userName);
    if (!user) throw new Error(`no lab user named ${userName}`);
    return kubeconfigYaml({
      server: api.url,
      token: user.token,
      ...((options.tls ?? true) && { certificateAuthority: ca.cert }),
    });
  };
  if (options.kubeconfigPath)
    await writeFile(options.kubeconfigPath, kubeconfig(), { mode: 0o600 });
  if (mesh && (options.seed ?? 'topology') === 'topology') await mesh.ready();
  return {
    url: api.url,
    adminToken,
    registry,
    controllers,
    apiFailures,
    onRequest: (listener) => {
      auditListeners.add(listener);
      return () => auditListeners.delete(listener);
    },
    kubeconfig,
    ...(mesh && { mesh }),
    ...(telemetry && { telemetry: { url: telemetry.url, sdUrl: telemetry.sdUrl } }),
    ...(gateway && {
      gateway: { httpsUrl: gateway.httpsUrl, httpUrl: gateway.httpUrl, caFile },
    }),
    stop: async () => {
      mesh?.stop();
      controllers.stop();
      apiFailures.clear();
      await Promise.all([api.close(), gateway?.stop(), telemetry?.stop()]);
      await rm(files, { recursive: true, force: true });
    },
  };
}

const MiB = 1024 * 1024;

/** Idle working sets of the seeded workloads; the mesh model replaces istiod's with a live figure. */
export const defaultWorkingSet: WorkingSet = (_pod, container) => {
  switch (container.name) {
    case 'discovery':
      return 96 * MiB;
    case 'istio-proxy':
      return 48 * MiB;
    default:
      return 24 * MiB;
  }
};
export type { AuditEvent } from './apiserver/server.js';

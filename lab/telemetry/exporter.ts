import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../apiserver/registry.js';
import type { WorkingSet } from '../controllers/kubelet.js';
import type { MeshEvents, MeshState } from '../mesh/types.js';
import { ApiServerMetrics } from './apiserver.js';
import { CadvisorMetrics } from './cadvisor.js';
import { ProxyTelemetry } from './istio.js';
import { IstiodTelemetry } from './istiod.js';
import { KubeStateMetrics } from './kube-state-metrics.js';
import type { ScrapeTarget, TargetSource } from './target.js';

export interface TelemetryOptions {
  registry: Registry;
  state: MeshState;
  workingSet: WorkingSet;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface Telemetry {
  /** Base URL of the exporter, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** http_sd document URL */
  sdUrl: string;
  events: MeshEvents;
  stop(): Promise<void>;
}

/** One entry of a Prometheus HTTP SD document. */
export interface SdTargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * Serves the mesh lab's telemetry: every component's Prometheus target under its own path of
 * one HTTP server (docs/lab-telemetry.md), and an HTTP SD document listing them at `/sd`.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const istiod = new IstiodTelemetry(options.state);
  const proxies = new ProxyTelemetry(options.state);
  const apiserver = new ApiServerMetrics();
  const sources: TargetSource[] = [
    istiod,
    proxies,
    new KubeStateMetrics(options.registry),
    new CadvisorMetrics(options.registry, options.workingSet),
    apiserver,
  ];
  const targets = (): ScrapeTarget[] => sources.flatMap((source) => source.targets());

  const host = options.host ?? '127.0.0.1';
  let address = '';
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://exporter').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/sd') {
      const body = JSON.stringify(sdDocument(targets(), address));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
      return;
    }
    const target = targets().find((each) => each.path === path);
    if (!target) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no such target\n');
      return;
    }
    const result = await target.scrape();
    res.writeHead(result.status, { 'content-type': result.contentType }).end(result.body);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${address}`;

  const events: MeshEvents = {
    request: guard('request', (record) => proxies.request(record)),
    xdsPush: guard('xdsPush', (ref, type, error) => istiod.xdsPush(ref, type, error)),
    convergence: guard('convergence', (ref, seconds) => istiod.convergence(ref, seconds)),
    xdsReject: guard('xdsReject', (ref, type) => istiod.xdsReject(ref, type)),
    injection: guard('injection', (ref, outcome) => istiod.injection(ref, outcome)),
    webhookCall: guard('webhookCall', (call) => apiserver.webhookCall(call)),
    sslConnectionError: guard('sslConnectionError', (ref, address) =>
      proxies.sslConnectionError(ref, address),
    ),
    rbacShadowDenied: guard('rbacShadowDenied', (ref) => proxies.rbacShadowDenied(ref)),
  };
  return {
    url,
    sdUrl: `${url}/sd`,
    events,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Prometheus HTTP SD: one group per target, the path and job as `__metrics_path__` and `job`. */
export function sdDocument(targets: ScrapeTarget[], address: string): SdTargetGroup[] {
  return targets.map((target) => ({
    targets: [address],
    labels: { __metrics_path__: target.path, job: target.job, ...target.labels },
  }));
}

/** MeshEvents promises never to throw into the model: a failing event is logged and dropped. */
function guard<A extends unknown[]>(name: string, handler: (...args: A) => void) {
  return (...args: A): void => {
    try {
      handler(...args);
    } catch (error) {
      console.error(`lab telemetry: dropped ${name} event:`, error);
    }
  };
}

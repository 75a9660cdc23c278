import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Registry } from '../apiserver/registry.js';
import {
  bestServer,
  httpServers,
  httpsServers,
  selectedGateways,
  type GatewayWorkload,
} from './gateway-config.js';
import { createCredentialResolver, type InvalidCertificatePolicy } from './gateway-credentials.js';
import type { MeshEvents } from './types.js';

export type { InvalidCertificatePolicy } from './gateway-credentials.js';

export interface IngressRequest {
  scheme: 'http' | 'https';
  host: string;
  method: string;
  path: string;
}

export interface IngressResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface GatewayListenerOptions {
  registry: Registry;
  events: MeshEvents;
  /** The gateway pod that terminates connections now; undefined when no gateway pod runs (connections are refused/reset). */
  gatewayPod(): GatewayWorkload | undefined;
  /** What the mesh behind the gateway answers (the mesh model supplies it). */
  route(request: IngressRequest): IngressResponse | Promise<IngressResponse>;
  /** Default 127.0.0.1. */
  host?: string;
  now?: () => Date;
  /** Default `serve`, as the seeded Istio 1.24 does; see {@link InvalidCertificatePolicy}. */
  invalidCertificates?: InvalidCertificatePolicy;
}

export type CredentialOutcome = { ok: true; notAfter: Date } | { ok: false; reason: string };

export interface GatewayListener {
  httpsUrl: string;
  httpUrl: string;
  httpsPort: number;
  httpPort: number;
  /**
   * What a verifying client connecting with this SNI would get, without connecting: the
   * synthetic traffic uses it. Same resolution as the listener's SNI callback.
   */
  credentialFor(serverName: string): CredentialOutcome;
  stop(): Promise<void>;
}

/** Envoy's name for the gateway's HTTPS listener (Service port 443 → container port 8443). */
export const HTTPS_LISTENER = '0.0.0.0_8443';
const ENVOY_HEADERS = { server: 'istio-envoy' };

/**
 * The ingress gateway's data plane on loopback: an HTTPS port that terminates TLS with the
 * certificate the selected Gateways' `credentialName` Secrets hold (resolved per handshake
 * from live API state), and a plain HTTP port. Requests that match a Gateway server go to
 * `route`; others get Envoy's 404 (`NR`).
 */
export async function startGatewayListener(
  options: GatewayListenerOptions,
): Promise<GatewayListener> {
  const now = options.now ?? (() => new Date());
  const resolve = createCredentialResolver({
    registry: options.registry,
    gatewayPod: () => options.gatewayPod(),
    now,
    invalidCertificates: options.invalidCertificates ?? 'serve',
  });

  const tlsServer = createHttpsServer(
    {
      SNICallback: (serverName, callback) => {
        const resolution = resolve(serverName);
        if (resolution.served) callback(null, resolution.context);
        else callback(new Error(resolution.reason));
      },
    },
    (req, res) => void answer(options, 'https', req, res),
  );
  // Every handshake that does not complete: no certificate for the SNI, no SNI, or the client
  // aborting (e.g. on an expired certificate) — Envoy's `ssl.connection_error`.
  let stopped = false;
  tlsServer.on('tlsClientError', () => {
    // Handshakes cut short by stop() are the lab shutting down, not the gateway failing.
    if (stopped) return;
    const pod = options.gatewayPod();
    if (pod)
      options.events.sslConnectionError({ namespace: pod.namespace, pod: pod.pod }, HTTPS_LISTENER);
  });
  const httpServer = createHttpServer((req, res) => void answer(options, 'http', req, res));

  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const front = (target: Server) =>
    createNetServer((socket) => {
      // No gateway pod: the Service has no endpoints, the connection goes nowhere.
      if (!options.gatewayPod()) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      target.emit('connection', socket);
    });
  const httpsFront = front(tlsServer);
  const httpFront = front(httpServer);
  const httpsPort = await listen(httpsFront, host);
  const httpPort = await listen(httpFront, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    httpsUrl: `https://${urlHost}:${httpsPort}`,
    httpUrl: `http://${urlHost}:${httpPort}`,
    httpsPort,
    httpPort,
    credentialFor(serverName) {
      const resolution = resolve(serverName);
      if (!resolution.served) return { ok: false, reason: resolution.reason };
      if (resolution.invalid) {
        return { ok: false, reason: `${resolution.invalid}; verifying clients reject it` };
      }
      return { ok: true, notAfter: resolution.notAfter };
    },
    async stop() {
      stopped = true;
      const closed = Promise.all([close(httpsFront), close(httpFront)]);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

async function answer(
  options: GatewayListenerOptions,
  scheme: 'http' | 'https',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const pod = options.gatewayPod();
  if (!pod) {
    req.socket.destroy();
    return;
  }
  const host =
    hostWithoutPort(req.headers.host) ??
    (scheme === 'https' ? (req.socket as TLSSocket).servername || undefined : undefined);
  const path = req.url ?? '/';
  const gateways = selectedGateways(options.registry, pod);
  const servers = scheme === 'https' ? httpsServers(gateways) : httpServers(gateways);
  const server = host === undefined ? undefined : bestServer(servers, host);
  if (!server || host === undefined) {
    res.writeHead(404, ENVOY_HEADERS).end();
    return;
  }
  if (scheme === 'http' && server.httpsRedirect) {
    res.writeHead(301, { ...ENVOY_HEADERS, location: `https://${host}${path}` }).end();
    return;
  }
  try {
    const response = await options.route({ scheme, host, method: req.method ?? 'GET', path });
    res.writeHead(response.status, { ...ENVOY_HEADERS, ...response.headers }).end(response.body);
  } catch (err) {
    console.error('gateway route failed', err);
    if (!res.headersSent) res.writeHead(500, ENVOY_HEADERS);
    res.end();
  }
}

function hostWithoutPort(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed) return bracketed[1];
  return header.replace(/:\d+$/, '').toLowerCase() || undefined;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

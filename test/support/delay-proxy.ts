import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A slow network in front of an HTTP service (Prometheus, Alertmanager): every request is held
 * for `delayMs` before it is forwarded, then the answer is passed back as is. `delayMs` can be
 * changed at any time; it applies to requests received from then on.
 */
export interface DelayProxy {
  /** http://127.0.0.1:PORT, to configure in place of the service's URL. */
  readonly url: string;
  delayMs: number;
  /** Requests received, and those answered (forwarded and relayed in full). */
  readonly stats: { received: number; answered: number };
  close(): Promise<void>;
}

export async function startDelayProxy(targetUrl: string, delayMs = 0): Promise<DelayProxy> {
  const target = new URL(targetUrl);
  const stats = { received: 0, answered: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    stats.received += 1;
    const forward = (): void => {
      timers.delete(timer);
      if (req.destroyed || res.destroyed) return;
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          answer.pipe(res);
          answer.once('end', () => (stats.answered += 1));
        },
      );
      upstream.once('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`delay proxy: ${err.message}`);
      });
      res.once('close', () => upstream.destroy());
      if (req.readableEnded) upstream.end();
      else req.pipe(upstream);
    };
    const timer = setTimeout(forward, proxy.delayMs);
    timers.add(timer);
    // The client gave up (its own timeout): forget the request.
    res.once('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxy: DelayProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delayMs,
    stats,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}

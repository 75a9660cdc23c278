import { createServer } from 'node:http';
import { closeServer, listenOnLoopback } from './http.js';

export interface MetricsTarget {
  /** http://127.0.0.1:PORT/metrics */
  readonly url: string;
  /** '127.0.0.1:PORT', as used in a scrape config. */
  readonly hostPort: string;
  /** How many times /metrics has been fetched. */
  readonly scrapes: number;
  /** Replaces the exposition text served from now on. */
  set(text: string): void;
  close(): Promise<void>;
}

/** Serves Prometheus text exposition at /metrics on 127.0.0.1 (404 elsewhere). */
export async function startMetricsTarget(initialText: string): Promise<MetricsTarget> {
  let text = initialText;
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes += 1;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    hostPort: `127.0.0.1:${port}`,
    get scrapes() {
      return scrapes;
    },
    set(next: string) {
      text = next;
    },
    close: () => closeServer(server),
  };
}

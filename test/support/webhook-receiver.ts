import { createServer, type IncomingHttpHeaders } from 'node:http';
import { closeServer, listenOnLoopback } from './http.js';
import { waitFor } from './wait-for.js';

export interface ReceivedRequest {
  at: Date;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text if the body is not JSON. */
  body: unknown;
}

/** One alert in an Alertmanager webhook notification (version 4 payload). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface ReceivedAlert {
  alert: WebhookAlert;
  payload: WebhookPayload;
  request: ReceivedRequest;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT/alerts */
  readonly url: string;
  /** Every request so far, oldest first. */
  readonly received: readonly ReceivedRequest[];
  /** Resolves with the first alert (already received or arriving later) matching `predicate`. */
  waitForAlert(
    predicate: (alert: WebhookAlert, payload: WebhookPayload) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedAlert>;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every request and answers 200. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        at: new Date(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: parseJson(text),
      });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const port = await listenOnLoopback(server);

  const findAlert = (
    predicate: (alert: WebhookAlert, payload: WebhookPayload) => boolean,
  ): ReceivedAlert | undefined => {
    for (const request of received) {
      if (!isWebhookPayload(request.body)) continue;
      const payload = request.body;
      const alert = payload.alerts.find((candidate) => predicate(candidate, payload));
      if (alert) return { alert, payload, request };
    }
    return undefined;
  };

  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    waitForAlert: (predicate, timeoutMs = 30_000) =>
      waitFor(() => findAlert(predicate), {
        description: () =>
          `a webhook alert matching ${predicate.toString()}; received so far: ${summarise(received)}`,
        timeoutMs,
      }),
    close: () => closeServer(server),
  };
}

function summarise(received: readonly ReceivedRequest[]): string {
  if (received.length === 0) return 'nothing';
  return received
    .map(({ body }) =>
      isWebhookPayload(body)
        ? body.alerts.map((a) => `${a.labels['alertname'] ?? '?'}=${a.status}`).join(',')
        : 'non-webhook request',
    )
    .join('; ');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isWebhookPayload(body: unknown): body is WebhookPayload {
  return (
    typeof body === 'object' &&
    body !== null &&
    'alerts' in body &&
    Array.isArray(body.alerts) &&
    body.alerts.every((alert: unknown) => typeof alert === 'object' && alert !== null)
  );
}

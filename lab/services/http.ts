import type { Server } from 'node:http';

const REQUEST_TIMEOUT_MS = 2_000;

/** GET `url` and report whether it answered 2xx (used as a readiness probe). */
export async function isHttpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  await response.body?.cancel();
  return response.ok;
}

/** GET `url` and parse the JSON body; throws on a non-2xx answer. The type is not checked. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** POST to `url` with no body; throws with the answer's text on a non-2xx answer. */
export async function postEmpty(url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS * 5),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text.trim()}`);
}

/** Listens on 127.0.0.1 on a kernel-chosen port and returns that port. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve(address.port);
      else reject(new Error('Server did not report a TCP address'));
    });
  });
}

/** Closes the server (idempotent), dropping open connections so close() does not hang. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

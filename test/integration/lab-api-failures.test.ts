import { ApiException, CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../lab/apiserver/resources.js';
import { startLab, type Lab } from '../../lab/index.js';
import { fromKubeError, Transient } from '../../src/faults/errors.js';
import { KubeRequestTimeout, kubeClients } from '../../src/kube/clients.js';
import { waitFor } from '../support/index.js';

// The lab's request-failure rules (lab/apiserver/failures.ts), seen through
// @kubernetes/client-node as the product sees a failing API server.

const NS = 'payments';
const SECRETS = findResource('', 'v1', 'secrets')!;
let lab: Lab;
let core: CoreV1Api;

function coreClient(kubeconfig: string): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return config.makeApiClient(CoreV1Api);
}

interface StatusBody {
  kind: string;
  status: string;
  reason?: string;
  code: number;
  message: string;
  details?: { name?: string; kind?: string; group?: string; retryAfterSeconds?: number };
}

/** The ApiException a call failed with, and the `Status` body it carries. */
async function refusal(
  call: Promise<unknown>,
): Promise<{ err: ApiException<unknown>; status: StatusBody }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const status =
      typeof err.body === 'string'
        ? (JSON.parse(err.body) as StatusBody)
        : (err.body as StatusBody);
    return { err, status };
  }
  throw new Error('expected the API server to refuse the request');
}

const secret = (name: string): V1Secret => ({
  metadata: { name, namespace: NS },
  stringData: { key: 'value' },
});

/** Whether the Secret is in the lab's store (not through the API, which may be failing). */
const exists = (name: string) =>
  lab.registry.store.list(SECRETS, NS).some((s) => s.metadata.name === name);

beforeAll(async () => {
  lab = await startLab({ mesh: false, seed: 'namespaces' });
  core = coreClient(lab.kubeconfig());
}, 60_000);

afterEach(() => lab.apiFailures.clear());

afterAll(async () => {
  await lab?.stop();
});

describe('lab API failure rules', () => {
  it('503 twice, then the request passes: a ServiceUnavailable Status with Retry-After', async () => {
    const id = lab.apiFailures.add({
      verbs: ['create'],
      resource: 'secrets',
      namespace: NS,
      action: { status: 503, retryAfterSeconds: 3 },
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const { err, status } = await refusal(
        core.createNamespacedSecret({ namespace: NS, body: secret('flaky') }),
      );
      expect(err.code).toBe(503);
      expect(err.headers['retry-after']).toBe('3');
      expect(status).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'ServiceUnavailable',
        code: 503,
        details: { retryAfterSeconds: 3 },
      });
      // The product reads it as retryable, with the server's wait.
      const mapped = fromKubeError(err, { verb: 'create', resource: 'secrets' });
      expect(mapped).toBeInstanceOf(Transient);
      expect((mapped as Transient).retryAfterMs).toBe(3_000);
    }
    expect(exists('flaky')).toBe(false);
    await core.createNamespacedSecret({ namespace: NS, body: secret('flaky') });
    expect(exists('flaky')).toBe(true);
    const rule = lab.apiFailures.get(id)!;
    expect(rule.failed).toBe(2);
    expect(rule.hits.map((h) => h.failed)).toEqual([true, true, false]);
  });

  it('429 as priority-and-fairness answers it, 500 as an internal error, 409 as a conflict', async () => {
    lab.apiFailures.add({
      verbs: ['get'],
      resource: 'secrets',
      name: 'a',
      action: { status: 429, retryAfterSeconds: 2 },
    });
    lab.apiFailures.add({
      verbs: ['get'],
      resource: 'secrets',
      name: 'b',
      action: { status: 500 },
    });
    lab.apiFailures.add({
      verbs: ['get'],
      resource: 'secrets',
      name: 'c',
      action: { status: 409 },
    });
    const tooMany = await refusal(core.readNamespacedSecret({ namespace: NS, name: 'a' }));
    expect(tooMany.err.code).toBe(429);
    expect(tooMany.err.headers['retry-after']).toBe('2');
    expect(tooMany.status).toMatchObject({
      reason: 'TooManyRequests',
      message: 'Too many requests, please try again later.',
      details: { retryAfterSeconds: 2 },
    });
    const internal = await refusal(core.readNamespacedSecret({ namespace: NS, name: 'b' }));
    expect(internal.status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(internal.status.message).toMatch(/^Internal error occurred: /);
    expect(internal.err.headers['retry-after']).toBeUndefined();
    const conflict = await refusal(core.readNamespacedSecret({ namespace: NS, name: 'c' }));
    expect(conflict.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      details: { name: 'c', kind: 'secrets' },
    });
  });

  it('403 names the user, verb and resource like an RBAC denial, and is permanent for the product', async () => {
    await core.createNamespacedSecret({ namespace: NS, body: secret('kept') });
    lab.apiFailures.add({ verbs: ['delete'], resource: 'secrets', action: { status: 403 } });
    const { err, status } = await refusal(
      core.deleteNamespacedSecret({ namespace: NS, name: 'kept' }),
    );
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      details: { name: 'kept', kind: 'secrets', group: '' },
    });
    expect(status.message).toBe(
      `secrets "kept" is forbidden: User "gameday-lab-admin" cannot delete resource "secrets" in API group "" in the namespace "${NS}"`,
    );
    expect(fromKubeError(err, { verb: 'delete', resource: 'secrets' }).retryable).toBe(false);
    expect(exists('kept')).toBe(true);
  });

  it('only what the rule names fails; nth fails only that matching request', async () => {
    await core.createNamespacedSecret({ namespace: NS, body: secret('nth') });
    const id = lab.apiFailures.add({
      verbs: ['get'],
      resource: 'secrets',
      namespace: NS,
      name: 'nth',
      action: { status: 503 },
      nth: 2,
    });
    await core.readNamespacedSecret({ namespace: NS, name: 'nth' });
    expect(
      (await refusal(core.readNamespacedSecret({ namespace: NS, name: 'nth' }))).err.code,
    ).toBe(503);
    await core.readNamespacedSecret({ namespace: NS, name: 'nth' });
    // Other verbs, names and namespaces are not touched.
    await core.listNamespacedSecret({ namespace: NS });
    await core.readNamespacedSecret({ namespace: NS, name: 'kept' });
    expect(lab.apiFailures.get(id)!.hits.map((h) => h.failed)).toEqual([false, true, false]);
    expect(lab.apiFailures.list()).toHaveLength(1);
    expect(lab.apiFailures.remove(id)).toBe(true);
    expect(lab.apiFailures.list()).toEqual([]);
  });

  it('drop: the client sees a network error, no Status; afterCommit: the write happened all the same', async () => {
    lab.apiFailures.add({ verbs: ['create'], resource: 'secrets', action: 'drop', times: 1 });
    const dropped = await core
      .createNamespacedSecret({ namespace: NS, body: secret('dropped') })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(dropped).toBeInstanceOf(Error);
    expect(dropped).not.toBeInstanceOf(ApiException);
    expect(String((dropped as Error).message)).toMatch(/socket hang up|ECONNRESET/);
    expect(fromKubeError(dropped, { verb: 'create', resource: 'secrets' })).toBeInstanceOf(
      Transient,
    );
    expect(exists('dropped')).toBe(false);

    lab.apiFailures.add({
      verbs: ['create'],
      resource: 'secrets',
      action: 'drop',
      afterCommit: true,
      times: 1,
    });
    const committed = await core
      .createNamespacedSecret({ namespace: NS, body: secret('committed') })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(committed).toBeInstanceOf(Error);
    expect(committed).not.toBeInstanceOf(ApiException);
    expect(exists('committed')).toBe(true);
  });

  it('timeout: the request is never answered; the product client gives up after its request timeout', async () => {
    const config = new KubeConfig();
    config.loadFromString(lab.kubeconfig());
    const timed = kubeClients(config, { requestTimeoutMs: 400 });
    lab.apiFailures.add({ verbs: ['get'], resource: 'secrets', name: 'kept', action: 'timeout' });
    const started = Date.now();
    const pending = timed.core.readNamespacedSecret({ namespace: NS, name: 'kept' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor(() => lab.apiFailures.held === 1, {
      description: 'the request held open',
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    const err = await pending;
    expect(err).toBeInstanceOf(KubeRequestTimeout);
    expect((err as Error).message).toMatch(
      /within 400 ms \(GET \/api\/v1\/namespaces\/payments\/secrets\/kept\)/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(fromKubeError(err, { verb: 'get', resource: 'secrets' })).toBeInstanceOf(Transient);
    // The abandoned request's connection is closed on the lab's side too.
    await waitFor(() => lab.apiFailures.held === 0, {
      description: 'the held request released',
      timeoutMs: 5_000,
      intervalMs: 10,
    });
  });

  it('stopping the lab ends requests it holds open', async () => {
    const other = await startLab({ mesh: false, seed: 'namespaces' });
    try {
      other.apiFailures.add({ verbs: ['list'], resource: 'secrets', action: 'timeout' });
      // client-node itself has no timeout: only the lab closing the connection ends this.
      const pending = coreClient(other.kubeconfig())
        .listNamespacedSecret({ namespace: NS })
        .then(
          () => 'answered',
          (err: unknown) => err,
        );
      await waitFor(() => other.apiFailures.held === 1, {
        description: 'the request held open',
        timeoutMs: 5_000,
        intervalMs: 10,
      });
      const started = Date.now();
      await other.stop();
      expect(await pending).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(other.apiFailures.held).toBe(0);
      expect(other.apiFailures.list()).toEqual([]);
    } finally {
      await other.stop().catch(() => undefined);
    }
  });
});

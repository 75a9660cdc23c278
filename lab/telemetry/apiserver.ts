import { Counter, Registry } from 'prom-client';
import type { MeshEvents } from '../mesh/types.js';
import { exposition, type ScrapeTarget, type TargetSource } from './target.js';

type WebhookCall = Parameters<MeshEvents['webhookCall']>[0];

/** kube-apiserver's admission webhook metrics, from the calls the lab's API server makes. */
export class ApiServerMetrics implements TargetSource {
  readonly #registry = new Registry();
  readonly #requests = new Counter({
    name: 'apiserver_admission_webhook_request_total',
    help: 'Admission webhook request total, identified by name and broken out for each admission type (validating or mutating) and operation. Additional labels specify whether the request was rejected or not and an HTTP status code. Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.',
    labelNames: ['name', 'type', 'operation', 'code', 'rejected'],
    registers: [this.#registry],
  });
  readonly #rejections = new Counter({
    name: 'apiserver_admission_webhook_rejection_count',
    help: 'Admission webhook rejection count, identified by name and broken out for each admission type (validating or admit) and operation. Additional labels specify an error type (calling_webhook_error or apiserver_internal_error if an error occurred; no_error otherwise) and optionally a non-zero rejection code if the webhook rejects the request with an HTTP status code (honored by the apiserver when the code is greater or equal to 400). Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.',
    labelNames: ['name', 'type', 'operation', 'error_type', 'rejection_code'],
    registers: [this.#registry],
  });

  targets(): ScrapeTarget[] {
    return [
      {
        job: 'apiserver',
        path: '/metrics/apiserver',
        labels: {},
        scrape: () => exposition(this.#registry),
      },
    ];
  }

  webhookCall(call: WebhookCall): void {
    const code = String(Math.min(call.code, 600));
    // The sidecar injector is a mutating webhook: kube-apiserver labels those type="admit".
    const base = { name: call.name, type: 'admit', operation: call.operation };
    this.#requests.inc({ ...base, code, rejected: String(call.rejected) });
    if (!call.rejected) return;
    this.#rejections.inc({
      ...base,
      error_type: call.errorType ?? (call.code === 0 ? 'calling_webhook_error' : 'no_error'),
      rejection_code: code,
    });
  }
}

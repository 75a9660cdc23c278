import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useAlertingLab } from '../support/alerting-lab.js';

// SPEC §9: the lab without faults, watched through a real Prometheus evaluating the shipped rules
// and a real Alertmanager (see test/support/alerting-lab.ts), raises no alert.

const stack = useAlertingLab();

describe('the lab with a real Prometheus and Alertmanager', () => {
  it('without faults, for 2 minutes: success ratio ≥ 99.9 % and no alert fires', async () => {
    const seen = new Set<string>();
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      for (const name of await stack.firingInPrometheus()) seen.add(name);
      // An observation period, not synchronisation: the test watches the quiet mesh for 2 min.
      await delay(5_000);
    }
    expect([...seen]).toEqual([]);
    expect(stack.receiver.received).toEqual([]);
    const [ratio] = await stack.query(
      'sum(increase(istio_requests_total{reporter="source",response_code!~"4..|5.."}[2m])) / sum(increase(istio_requests_total{reporter="source"}[2m]))',
    );
    expect(ratio).toBeGreaterThanOrEqual(0.999);
  }, 180_000);
});

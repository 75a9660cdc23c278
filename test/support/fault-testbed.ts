import { KubeConfig } from '@kubernetes/client-node';
import { startLab, type Lab, type LabOptions } from '../../lab/index.js';
import type { FaultContext } from '../../src/faults/fault.js';
import { MemoryJournal } from '../../src/faults/journal.js';
import { kubeClients, type KubeClients } from '../../src/kube/clients.js';
import { createLogger } from '../../src/logger.js';

/** A token whose user may only get, list and watch: for testing how faults meet Forbidden. */
export const READ_ONLY_TOKEN = 'read-only-token-0123456789abcdef';

const logger = createLogger({ name: 'fault-test', level: 'silent', format: 'json' });

export interface FaultTestBed {
  lab: Lab;
  admin: KubeClients;
  readOnly: KubeClients;
  /** A fresh context for one run: its own in-memory journal, admin credentials by default. */
  context(runId: string, namespace: string, extra?: Partial<FaultContext>): FaultContext;
}

/** A lab (20x speed) with an admin and a read-only user, and fault contexts against it. */
export async function startFaultTestBed(options: LabOptions = {}): Promise<FaultTestBed> {
  const lab = await startLab({
    speed: 20,
    ...options,
    users: [
      {
        name: 'read-only',
        token: READ_ONLY_TOKEN,
        rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }],
      },
      ...(options.users ?? []),
    ],
  });
  const clients = (kubeconfig: string) => {
    const config = new KubeConfig();
    config.loadFromString(kubeconfig);
    return kubeClients(config);
  };
  const admin = clients(lab.kubeconfig());
  return {
    lab,
    admin,
    readOnly: clients(lab.kubeconfig('read-only')),
    context: (runId, namespace, extra = {}) => ({
      kube: admin,
      runId,
      namespace,
      journal: new MemoryJournal(),
      logger,
      waitTimeoutMs: 20_000,
      now: () => new Date(),
      ...extra,
    }),
  };
}

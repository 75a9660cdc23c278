import type { KubeObject } from './types.js';

type Dict = Record<string, unknown>;

/**
 * The defaults kube-apiserver fills in on every write (SetDefaults_* in k8s.io/kubernetes
 * pkg/apis/*\/v1/defaults.go), for the fields the faults and kubectl read. A GameDay that
 * records a Deployment's `strategy` must see `maxSurge: 25%` there, as on a real cluster.
 */
export function applyDefaults(group: string, kind: string, object: KubeObject): void {
  const spec = object.spec as Dict | undefined;
  switch (`${group}/${kind}`) {
    case 'apps/Deployment':
      if (!spec) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      defaultStrategy(spec);
      defaultPodTemplate(spec.template);
      return;
    case 'apps/ReplicaSet':
      if (!spec) return;
      spec.replicas ??= 1;
      defaultPodTemplate(spec.template);
      return;
    case '/Pod':
      if (spec) defaultPodSpec(spec);
      return;
    case '/Service':
      if (!spec) return;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      for (const port of objects(spec.ports)) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
      return;
    case 'networking.k8s.io/NetworkPolicy':
      if (!spec) return;
      spec.policyTypes ??= spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
      for (const rule of [...objects(spec.ingress), ...objects(spec.egress)]) {
        for (const port of objects(rule.ports)) port.protocol ??= 'TCP';
      }
      return;
    case '/Secret':
      object.type ??= 'Opaque';
      return;
    case '/Namespace':
      object.spec ??= { finalizers: ['kubernetes'] };
      return;
    default:
      return;
  }
}

function defaultStrategy(spec: Dict): void {
  const strategy = (spec.strategy ??= {}) as Dict;
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = (strategy.rollingUpdate ??= {}) as Dict;
    rolling.maxUnavailable ??= '25%';
    rolling.maxSurge ??= '25%';
  }
}

function defaultPodTemplate(template: unknown): void {
  const spec = (template as Dict | undefined)?.spec as Dict | undefined;
  if (spec) defaultPodSpec(spec);
}

function defaultPodSpec(spec: Dict): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  if (spec.serviceAccountName !== undefined) spec.serviceAccount ??= spec.serviceAccountName;
  for (const container of [...objects(spec.initContainers), ...objects(spec.containers)]) {
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    container.imagePullPolicy ??= pullPolicyFor(String(container.image ?? ''));
    container.resources ??= {};
    for (const port of objects(container.ports)) port.protocol ??= 'TCP';
  }
}

/** `Always` for `:latest` or untagged images, `IfNotPresent` otherwise. */
function pullPolicyFor(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function objects(value: unknown): Dict[] {
  return Array.isArray(value)
    ? value.filter((v): v is Dict => v !== null && typeof v === 'object')
    : [];
}

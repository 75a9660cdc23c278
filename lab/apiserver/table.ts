import type { ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

/**
 * Server-side printing: the `meta.k8s.io/v1` Table kubectl asks for, with the columns the
 * real printers (pkg/printers/internalversion) and the Istio CRDs' printer columns give,
 * so `kubectl get pods` shows READY, STATUS and RESTARTS as on a real cluster.
 */
interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  description: string;
  priority?: number;
  cell: (object: KubeObject, now: Date) => string | number;
}

type Dict = Record<string, unknown>;
const dict = (v: unknown): Dict =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : {};
const list = (v: unknown): Dict[] => (Array.isArray(v) ? (v as Dict[]) : []);

/** Does the Accept header ask for a Table (as kubectl get does)? */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

export function toTable(
  resource: ResourceType,
  objects: KubeObject[],
  listMeta: Dict,
  now = new Date(),
): Dict {
  const columns = columnsFor(resource);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map(({ name, type, description, priority }) => ({
      name,
      type,
      format: name === 'Name' ? 'name' : '',
      description,
      priority: priority ?? 0,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object, now)),
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: object.metadata,
      },
    })),
  };
}

const name: Column = {
  name: 'Name',
  type: 'string',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name ?? '',
};
const age: Column = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => humanDuration(o.metadata.creationTimestamp, now),
};

function columnsFor(resource: ResourceType): Column[] {
  switch (`${resource.group}/${resource.kind}`) {
    case '/Pod':
      return [
        name,
        {
          name: 'Ready',
          type: 'string',
          description: 'The aggregate readiness state of this pod for accepting traffic.',
          cell: podReady,
        },
        {
          name: 'Status',
          type: 'string',
          description: 'The aggregate status of the containers in this pod.',
          cell: podStatus,
        },
        {
          name: 'Restarts',
          type: 'string',
          description: 'The number of times the containers in this pod have been restarted.',
          cell: podRestarts,
        },
        age,
        {
          name: 'IP',
          type: 'string',
          description: 'IP address allocated to the pod.',
          priority: 1,
          cell: (o) => String(dict(o.status).podIP ?? '<none>'),
        },
        {
          name: 'Node',
          type: 'string',
          description: 'Name of the node the pod is assigned to.',
          priority: 1,
          cell: (o) => String(dict(o.spec).nodeName ?? '<none>'),
        },
      ];
    case 'apps/Deployment':
      return [
        name,
        {
          name: 'Ready',
          type: 'string',
          description: 'Number of the pod with ready state',
          cell: (o) => `${num(o, 'readyReplicas')}/${Number(dict(o.spec).replicas ?? 0)}`,
        },
        {
          name: 'Up-to-date',
          type: 'integer',
          description:
            'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
          cell: (o) => num(o, 'updatedReplicas'),
        },
        {
          name: 'Available',
          type: 'integer',
          description:
            'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
          cell: (o) => num(o, 'availableReplicas'),
        },
        age,
        {
          name: 'Containers',
          type: 'string',
          description: 'Names of each container in the template.',
          priority: 1,
          cell: (o) =>
            containers(o)
              .map((c) => c.name)
              .join(','),
        },
        {
          name: 'Images',
          type: 'string',
          description: 'Images referenced by each container in the template.',
          priority: 1,
          cell: (o) =>
            containers(o)
              .map((c) => c.image)
              .join(','),
        },
      ];
    case 'apps/ReplicaSet':
      return [
        name,
        {
          name: 'Desired',
          type: 'integer',
          description: 'Number of desired pods.',
          cell: (o) => Number(dict(o.spec).replicas ?? 0),
        },
        {
          name: 'Current',
          type: 'integer',
          description: 'Number of actual replicas.',
          cell: (o) => num(o, 'replicas'),
        },
        {
          name: 'Ready',
          type: 'integer',
          description: 'The number of ready replicas for this replica set.',
          cell: (o) => num(o, 'readyReplicas'),
        },
        age,
      ];
    case '/Service':
      return [
        name,
        {
          name: 'Type',
          type: 'string',
          description: 'The type of the service.',
          cell: (o) => String(dict(o.spec).type ?? 'ClusterIP'),
        },
        {
          name: 'Cluster-IP',
          type: 'string',
          description: 'The IP address of the service.',
          cell: (o) => String(dict(o.spec).clusterIP ?? '<none>'),
        },
        {
          name: 'External-IP',
          type: 'string',
          description: 'The external IP address of the service.',
          cell: (o) => (dict(o.spec).type === 'LoadBalancer' ? '<pending>' : '<none>'),
        },
        {
          name: 'Port(s)',
          type: 'string',
          description: 'The port(s) of the service.',
          cell: servicePorts,
        },
        age,
      ];
    case '/Namespace':
      return [
        name,
        {
          name: 'Status',
          type: 'string',
          description: 'The status of the namespace',
          cell: (o) => String(dict(o.status).phase ?? 'Active'),
        },
        age,
      ];
    case '/Secret':
      return [
        name,
        {
          name: 'Type',
          type: 'string',
          description: 'The type of the secret',
          cell: (o) => String(o.type ?? 'Opaque'),
        },
        {
          name: 'Data',
          type: 'integer',
          description: 'The number of entries in the secret',
          cell: (o) => Object.keys(dict(o.data)).length,
        },
        age,
      ];
    case '/ConfigMap':
      return [
        name,
        {
          name: 'Data',
          type: 'integer',
          description: 'The number of entries in the config map',
          cell: (o) => Object.keys(dict(o.data)).length + Object.keys(dict(o.binaryData)).length,
        },
        age,
      ];
    case '/Event':
      return [
        {
          name: 'Last Seen',
          type: 'string',
          description: 'Time when this Event was last observed.',
          cell: (o, now) => humanDuration(String(o.lastTimestamp ?? o.eventTime ?? ''), now),
        },
        {
          name: 'Type',
          type: 'string',
          description: 'Type of this event (Normal, Warning).',
          cell: (o) => String(o.type ?? ''),
        },
        {
          name: 'Reason',
          type: 'string',
          description: "The reason for the transition into the object's current status.",
          cell: (o) => String(o.reason ?? ''),
        },
        {
          name: 'Object',
          type: 'string',
          description: 'The object that this event is about.',
          cell: (o) =>
            `${String(dict(o.involvedObject).kind ?? '').toLowerCase()}/${String(dict(o.involvedObject).name ?? '')}`,
        },
        {
          name: 'Message',
          type: 'string',
          description: 'A human-readable description of the status of this operation.',
          cell: (o) => String(o.message ?? ''),
        },
      ];
    case 'networking.k8s.io/NetworkPolicy':
      return [
        name,
        {
          name: 'Pod-Selector',
          type: 'string',
          description: 'Selects the pods to which this NetworkPolicy object applies.',
          cell: (o) => selectorString(dict(dict(o.spec).podSelector)),
        },
        age,
      ];
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration':
      return [
        name,
        {
          name: 'Webhooks',
          type: 'integer',
          description: 'Webhooks indicates the number of webhooks.',
          cell: (o) => list(o.webhooks).length,
        },
        age,
      ];
    case 'security.istio.io/AuthorizationPolicy':
      return [
        name,
        {
          name: 'Action',
          type: 'string',
          description: 'The operation to take.',
          cell: (o) => String(dict(o.spec).action ?? ''),
        },
        age,
      ];
    case 'networking.istio.io/VirtualService':
      return [
        name,
        {
          name: 'Gateways',
          type: 'string',
          description: 'The names of gateways and sidecars that should apply these routes',
          cell: (o) => JSON.stringify(dict(o.spec).gateways ?? []),
        },
        {
          name: 'Hosts',
          type: 'string',
          description: 'The destination hosts to which traffic is being sent',
          cell: (o) => JSON.stringify(dict(o.spec).hosts ?? []),
        },
        age,
      ];
    case 'networking.istio.io/DestinationRule':
      return [
        name,
        {
          name: 'Host',
          type: 'string',
          description: 'The name of a service from the service registry',
          cell: (o) => String(dict(o.spec).host ?? ''),
        },
        age,
      ];
    default:
      return [name, age];
  }
}

function num(object: KubeObject, field: string): number {
  return Number(dict(object.status)[field] ?? 0);
}

function containers(object: KubeObject): Dict[] {
  return list(dict(dict(dict(object.spec).template).spec).containers);
}

function podReady(pod: KubeObject): string {
  const statuses = list(dict(pod.status).containerStatuses);
  const total = list(dict(pod.spec).containers).length;
  return `${statuses.filter((c) => c.ready === true).length}/${total}`;
}

/** The STATUS column: a waiting or terminated container's reason wins over the pod phase. */
function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const status = dict(pod.status);
  let reason = String(status.reason ?? status.phase ?? 'Pending');
  for (const container of list(status.containerStatuses)) {
    const state = dict(container.state);
    const waiting = dict(state.waiting).reason;
    const terminated = dict(state.terminated).reason;
    if (typeof waiting === 'string' && waiting !== '') reason = waiting;
    else if (typeof terminated === 'string' && terminated !== '') reason = terminated;
  }
  return reason;
}

function podRestarts(pod: KubeObject, now: Date): string {
  const statuses = list(dict(pod.status).containerStatuses);
  const restarts = statuses.reduce((sum, c) => sum + Number(c.restartCount ?? 0), 0);
  const lastFinished = statuses
    .map((c) => String(dict(dict(c.lastState).terminated).finishedAt ?? ''))
    .filter(Boolean)
    .sort()
    .at(-1);
  return restarts > 0 && lastFinished
    ? `${restarts} (${humanDuration(lastFinished, now)} ago)`
    : String(restarts);
}

function servicePorts(service: KubeObject): string {
  const ports = list(dict(service.spec).ports).map(
    (p) =>
      `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
  );
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function selectorString(selector: Dict): string {
  const labels = Object.entries(dict(selector.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  const expressions = list(selector.matchExpressions).map(
    (e) => `${String(e.key)} ${String(e.operator).toLowerCase()} (${list(e.values).join(',')})`,
  );
  const all = [...labels, ...expressions];
  return all.length > 0 ? all.join(',') : '<none>';
}

/** kubectl's short ages: 45s, 5m12s, 3h, 2d. */
export function humanDuration(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000));
  if (Number.isNaN(seconds)) return '<unknown>';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 === 0 ? '' : `${seconds % 60}s`}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

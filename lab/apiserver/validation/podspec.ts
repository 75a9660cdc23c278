/**
 * PodSpec validation (pkg/apis/core/validation ValidatePodSpec), shared by Pod and by the pod
 * templates of Deployment and ReplicaSet. Absent fields count as their API defaults
 * (restartPolicy Always, protocol TCP, …), since the real server validates after defaulting.
 */
import {
  asArray,
  asObject,
  asString,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  notFound,
  notSupported,
  required,
  type Findings,
} from './field.js';
import { validateLabels } from './meta.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import { validateResources } from './resources.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/** The volume sources a core/v1 Volume may carry; exactly one must be set. */
const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret',
  'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte',
  'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image',
]; // prettier-ignore

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function checkName(name: string, path: string, out: Findings): void {
  if (!name) out.invalid.push(required(path));
  else for (const msg of isDNS1123Label(name)) out.invalid.push(invalid(path, name, msg));
}

function validateVolumes(volumes: unknown, path: string, out: Findings): Set<string> {
  const names = new Set<string>();
  asArray(volumes).forEach((raw, i) => {
    const vol = asObject(raw);
    const at = index(path, i);
    const sources = VOLUME_SOURCES.filter((s) => vol[s] !== undefined && vol[s] !== null);
    if (sources.length === 0) out.invalid.push(required(at, 'must specify a volume type'));
    for (const extra of sources.slice(1)) {
      out.invalid.push(forbidden(child(at, extra), 'may not specify more than 1 volume type'));
    }
    const name = asString(vol.name);
    checkName(name, child(at, 'name'), out);
    if (names.has(name)) out.invalid.push(duplicate(child(at, 'name'), name));
    names.add(name);
  });
  return names;
}

function validatePorts(ports: unknown, path: string, out: Findings): void {
  const names = new Set<string>();
  asArray(ports).forEach((raw, i) => {
    const port = asObject(raw);
    const at = index(path, i);
    const name = asString(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      for (const msg of msgs) out.invalid.push(invalid(child(at, 'name'), name, msg));
      if (msgs.length === 0 && names.has(name))
        out.invalid.push(duplicate(child(at, 'name'), name));
      names.add(name);
    }
    const containerPort = num(port.containerPort) ?? 0;
    if (containerPort === 0) out.invalid.push(required(child(at, 'containerPort')));
    for (const msg of containerPort === 0 ? [] : isValidPortNum(containerPort)) {
      out.invalid.push(invalid(child(at, 'containerPort'), containerPort, msg));
    }
    const hostPort = num(port.hostPort) ?? 0;
    for (const msg of hostPort === 0 ? [] : isValidPortNum(hostPort)) {
      out.invalid.push(invalid(child(at, 'hostPort'), hostPort, msg));
    }
    const protocol = port.protocol ?? 'TCP';
    if (protocol === '') out.invalid.push(required(child(at, 'protocol')));
    else if (!PROTOCOLS.includes(String(protocol))) {
      out.invalid.push(notSupported(child(at, 'protocol'), protocol, PROTOCOLS));
    }
  });
}

function validateEnv(env: unknown, path: string, out: Findings): void {
  asArray(env).forEach((raw, i) => {
    const ev = asObject(raw);
    const at = index(path, i);
    const name = asString(ev.name);
    if (!name) out.invalid.push(required(child(at, 'name')));
    else
      for (const msg of isEnvVarName(name)) out.invalid.push(invalid(child(at, 'name'), name, msg));
    if (ev.valueFrom !== undefined && asString(ev.value) !== '') {
      out.invalid.push(
        invalid(child(at, 'valueFrom'), '', 'may not be specified when `value` is not empty'),
      );
    }
  });
}

function validateVolumeMounts(
  mounts: unknown,
  volumes: Set<string>,
  path: string,
  out: Findings,
): void {
  const mountPaths = new Set<string>();
  asArray(mounts).forEach((raw, i) => {
    const mount = asObject(raw);
    const at = index(path, i);
    const name = asString(mount.name);
    if (!name) out.invalid.push(required(child(at, 'name')));
    if (!volumes.has(name)) out.invalid.push(notFound(child(at, 'name'), name));
    const mountPath = asString(mount.mountPath);
    if (!mountPath) out.invalid.push(required(child(at, 'mountPath')));
    if (mountPaths.has(mountPath)) {
      out.invalid.push(invalid(child(at, 'mountPath'), mountPath, 'must be unique'));
    }
    mountPaths.add(mountPath);
  });
}

function validateContainer(
  raw: unknown,
  volumes: Set<string>,
  path: string,
  out: Findings,
): string {
  const ctr = asObject(raw);
  const name = asString(ctr.name);
  checkName(name, child(path, 'name'), out);
  if (!asString(ctr.image)) out.invalid.push(required(child(path, 'image')));
  const tmp = ctr.terminationMessagePolicy ?? 'File';
  if (!TERMINATION_MESSAGE_POLICIES.includes(String(tmp))) {
    out.invalid.push(
      notSupported(child(path, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES),
    );
  }
  validatePorts(ctr.ports, child(path, 'ports'), out);
  validateEnv(ctr.env, child(path, 'env'), out);
  validateVolumeMounts(ctr.volumeMounts, volumes, child(path, 'volumeMounts'), out);
  if (ctr.imagePullPolicy !== undefined && !PULL_POLICIES.includes(String(ctr.imagePullPolicy))) {
    out.invalid.push(
      notSupported(child(path, 'imagePullPolicy'), ctr.imagePullPolicy, PULL_POLICIES),
    );
  }
  validateResources(ctr.resources, child(path, 'resources'), out);
  return name;
}

/** ValidatePodSpec for the spec at `path` (`spec` for a Pod, `spec.template.spec` for templates). */
export function validatePodSpec(spec: unknown, path: string, out: Findings): void {
  const s = asObject(spec);
  const volumes = validateVolumes(s.volumes, child(path, 'volumes'), out);

  const containersPath = child(path, 'containers');
  const containers = asArray(s.containers);
  if (containers.length === 0) out.invalid.push(required(containersPath));
  const names = new Set<string>();
  containers.forEach((ctr, i) => {
    const at = index(containersPath, i);
    const name = validateContainer(ctr, volumes, at, out);
    if (names.has(name)) out.invalid.push(duplicate(child(at, 'name'), name));
    names.add(name);
  });
  // Init container names must not collide with each other or with the regular containers.
  asArray(s.initContainers).forEach((ctr, i) => {
    const at = index(child(path, 'initContainers'), i);
    const name = validateContainer(ctr, volumes, at, out);
    if (names.has(name)) out.invalid.push(duplicate(child(at, 'name'), name));
    names.add(name);
  });

  const restartPolicy = s.restartPolicy ?? 'Always';
  if (restartPolicy === '') out.invalid.push(required(child(path, 'restartPolicy')));
  else if (!RESTART_POLICIES.includes(String(restartPolicy))) {
    out.invalid.push(notSupported(child(path, 'restartPolicy'), restartPolicy, RESTART_POLICIES));
  }
  const dnsPolicy = s.dnsPolicy ?? 'ClusterFirst';
  if (!DNS_POLICIES.includes(String(dnsPolicy))) {
    out.invalid.push(notSupported(child(path, 'dnsPolicy'), dnsPolicy, DNS_POLICIES));
  }
  validateLabels(s.nodeSelector, child(path, 'nodeSelector'), out);
  const sa = asString(s.serviceAccountName);
  for (const msg of sa ? isDNS1123Subdomain(sa) : []) {
    out.invalid.push(invalid(child(path, 'serviceAccountName'), sa, msg));
  }
}

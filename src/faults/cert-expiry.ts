import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { createCertificateAuthority, describeCertificate, issueCertificate } from '../pki.js';
import { withoutKeyMaterial } from '../redact.js';
import { certExpiryParams, type CertExpiryParams } from '../scenario/fault-params.js';
import { durationMs } from '../scenario/index.js';
import {
  createOwned,
  deleteOwned,
  originalsRestored,
  patchRecorded,
  pendingReverts,
  readObject,
  restoreRecorded,
  type RecordedPatch,
} from './cluster-writes.js';
import {
  fromKubeError,
  httpStatus,
  NotAllowed,
  OwnershipConflict,
  TargetNotFound,
  Transient,
} from './errors.js';
import {
  DEFAULT_REVISION,
  istiodPods,
  istiodSelectorText,
  restartControlPlane,
} from './control-plane.js';
import type { Fault, FaultContext, Finding, Verification } from './fault.js';
import type { JournalEntry, ObjectRef } from './journal.js';
import {
  CHANGED_ANNOTATION,
  ownershipLabels,
  owningRun,
  PATCHED_BY_ANNOTATION,
} from './ownership.js';

type GatewayParams = Extract<CertExpiryParams, { mode: 'gateway' }>;
type Secret = V1Secret & KubernetesObject;

interface GatewayServer {
  port?: { number?: number; name?: string; protocol?: string };
  hosts?: string[];
  tls?: { mode?: string; credentialName?: string };
}

interface Gateway extends KubernetesObject {
  spec?: { servers?: GatewayServer[] };
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long the expired certificates were valid before they expired. */
const EXPIRED_VALIDITY_MS = 90 * DAY_MS;
const GATEWAY_API_VERSION = 'networking.istio.io/v1';
const EXPIRED_SUFFIX = '-gameday-expired';

// Journal steps of mode gateway.
const SECRET_STEP = 'expired-secret';
const GATEWAY_STEP = 'gateway-credential';

// Journal steps of mode mesh-ca.
const BACKUP_STEP = 'cacerts-backup';
const CACERTS_STEP = 'cacerts';
/** The istiod restart after installing the expired CA: recorded for the audit trail. */
const RESTART_STEP = 'restart-istiod';
/** The istiod restart after putting the original CA back, so istiod reloads it. */
const REVERT_RESTART_STEP = 'restart-istiod-after-revert';
const CACERTS = 'cacerts';
const BACKUP = 'cacerts-gameday-backup';
const SELF_SIGNED_ROOT = 'istio-ca-secret';
/** On the backup Secret: the type of the original `cacerts`, for re-creating it if it vanished. */
const ORIGINAL_TYPE_ANNOTATION = 'gameday/original-type';

/** What the journal keeps for a `cacerts` that existed: where its original lives (never its key). */
interface BackupRecord {
  backup: ObjectRef;
}

/**
 * `cert-expiry`: an expired certificate where the mesh loads one.
 *
 * - `mode: gateway` creates a new `kubernetes.io/tls` Secret holding a freshly generated,
 *   already expired certificate for the same hosts as the original (a throwaway CA signs it;
 *   the original private key is never read) and repoints one Gateway server's
 *   `credentialName` to it. Every verifying client's TLS handshake on that server fails:
 *   Istio 1.18.0–1.19.0 refuses to load the expired certificate, later versions serve it and
 *   count it in `pilot_sds_certificate_errors_total` (istio/istio#47104). Revert repoints the server and deletes the Secret.
 * - `mode: mesh-ca` backs up `cacerts` inside the cluster (a Secret of this run), installs an
 *   expired CA in `cacerts` and restarts istiod. The journal never holds CA keys: the original
 *   is restored from the in-cluster backup. Mesh-wide.
 */
export const certExpiry: Fault<CertExpiryParams> = {
  type: 'cert-expiry',
  paramsSchema: certExpiryParams,
  meshWide: (params) => params.mode === 'mesh-ca',

  async preflight(ctx, params) {
    return params.mode === 'gateway' ? preflightGateway(ctx, params) : preflightMeshCa(ctx);
  },

  async inject(ctx, params) {
    if (params.mode === 'gateway') await injectGateway(ctx, params);
    else await injectMeshCa(ctx, params.expiredFor);
  },

  async revert(ctx, params) {
    if (params.mode === 'gateway') {
      // Newest first: the Gateway points back at the original Secret before the expired one goes.
      for (const entry of await pendingReverts(ctx)) {
        if (entry.action === 'patch') await restoreRecorded(ctx, entry);
        else if (entry.action === 'create') await deleteOwned(ctx, entry);
      }
      return;
    }
    await revertMeshCa(ctx);
  },

  async verify(ctx, params) {
    return params.mode === 'gateway' ? verifyGateway(ctx, params) : verifyMeshCa(ctx);
  },
};

// ---------------------------------------------------------------------------------------------
// mode: gateway
// ---------------------------------------------------------------------------------------------

function gatewayRef(params: GatewayParams): ObjectRef {
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'Gateway',
    namespace: params.gateway.namespace,
    name: params.gateway.name,
  };
}

function secretRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'Secret', namespace, name };
}

const credentialPath = (index: number) => `/spec/servers/${index}/tls/credentialName`;

/** The server params.server names (port name or host), else the first SIMPLE/MUTUAL TLS server. */
function pickServer(
  gateway: Gateway,
  server: string | undefined,
): { index: number; server: GatewayServer } | { error: string } {
  const servers = gateway.spec?.servers ?? [];
  const ref = `Gateway ${gateway.metadata?.namespace ?? ''}/${gateway.metadata?.name ?? ''}`;
  if (server !== undefined) {
    const index = servers.findIndex(
      (s) =>
        s.port?.name === server ||
        (s.hosts ?? []).some((host) => host === server || host.split('/').pop() === server),
    );
    const found = servers[index];
    if (!found) return { error: `${ref} has no server with port name or host "${server}"` };
    if (!found.tls?.credentialName) {
      return {
        error: `server ${index} (${serverText(found)}) of ${ref} has no tls.credentialName: its certificate does not come from a Secret`,
      };
    }
    return { index, server: found };
  }
  const index = servers.findIndex(
    (s) => (s.tls?.mode === 'SIMPLE' || s.tls?.mode === 'MUTUAL') && !!s.tls.credentialName,
  );
  const found = servers[index];
  if (!found) {
    return {
      error: `${ref} has no server with tls.mode SIMPLE or MUTUAL and a credentialName: nothing to expire`,
    };
  }
  return { index, server: found };
}

function serverText(server: GatewayServer): string {
  return `port ${server.port?.name ?? server.port?.number ?? '?'}, hosts ${(server.hosts ?? []).join(', ')}`;
}

/** The credentialName the server had before this run changed it (from the journal when it did). */
async function originalCredential(
  ctx: FaultContext,
  index: number,
  current: string | undefined,
): Promise<string | undefined> {
  const entry = (await ctx.journal.entries()).find((e) => e.step === GATEWAY_STEP);
  const field = (entry?.original as RecordedPatch | undefined)?.fields.find(
    (f) => f.path === credentialPath(index),
  );
  if (field) return field.present ? (field.value as string) : undefined;
  return current;
}

async function preflightGateway(ctx: FaultContext, params: GatewayParams): Promise<Finding[]> {
  const findings: Finding[] = [];
  const ref = gatewayRef(params);
  const where = `${ref.namespace ?? ''}/${ref.name}`;
  if (params.gateway.namespace !== ctx.namespace) {
    findings.push({
      severity: 'blocker',
      message: `Gateway ${where} is not in the target namespace ${ctx.namespace}: the Secret and the Gateway change would be written outside the allowlisted namespace`,
    });
  }
  const gateway = await readObject<Gateway>(ctx, ref);
  if (!gateway) {
    findings.push({ severity: 'blocker', message: `Gateway ${where} not found` });
    return findings;
  }
  const picked = pickServer(gateway, params.server);
  if ('error' in picked) {
    findings.push({ severity: 'blocker', message: picked.error });
    return findings;
  }
  const credential = await originalCredential(ctx, picked.index, picked.server.tls?.credentialName);
  const namespace = ref.namespace ?? ctx.namespace;
  if (credential === undefined) return findings;
  const original = await readObject<Secret>(ctx, secretRef(namespace, credential));
  if (!original) {
    findings.push({
      severity: 'blocker',
      message: `Secret ${namespace}/${credential} (credentialName of server ${picked.index}: ${serverText(picked.server)}) not found: the gateway serves no certificate from it today`,
    });
  } else if (!original.data?.['tls.crt']) {
    findings.push({
      severity: 'blocker',
      message: `Secret ${namespace}/${credential} has no tls.crt: cannot read the hosts of its certificate`,
    });
  }
  const expiredName = `${credential}${EXPIRED_SUFFIX}`;
  const clash = await readObject<Secret>(ctx, secretRef(namespace, expiredName));
  if (clash && owningRun(clash.metadata) !== ctx.runId) {
    findings.push({
      severity: 'blocker',
      message: `Secret ${namespace}/${expiredName} already exists and is not this run's`,
    });
  }
  findings.push({
    severity: 'info',
    message: `server ${picked.index} (${serverText(picked.server)}) will load Secret ${namespace}/${expiredName}; Istio resolves credentialName in the namespace of the gateway workload, assumed here to be the Gateway's namespace ${namespace}`,
  });
  findings.push({
    severity: 'info',
    message:
      'traffic success must be probed from the client side (HTTP probe): failed handshakes never reach istio_requests_total',
  });
  return findings;
}

async function injectGateway(ctx: FaultContext, params: GatewayParams): Promise<void> {
  if (params.gateway.namespace !== ctx.namespace) {
    throw new NotAllowed(
      `Gateway ${params.gateway.namespace}/${params.gateway.name} is not in the target namespace ${ctx.namespace}`,
    );
  }
  const ref = gatewayRef(params);
  const namespace = ref.namespace ?? ctx.namespace;
  const gateway = await readObject<Gateway>(ctx, ref);
  if (!gateway) throw new TargetNotFound(`Gateway ${namespace}/${ref.name} not found`);
  const picked = pickServer(gateway, params.server);
  if ('error' in picked) throw new TargetNotFound(picked.error);
  const credential = await originalCredential(ctx, picked.index, picked.server.tls?.credentialName);
  if (credential === undefined) {
    throw new TargetNotFound(
      `server ${picked.index} of Gateway ${namespace}/${ref.name} has no credentialName`,
    );
  }
  const original = await readObject<Secret>(ctx, secretRef(namespace, credential));
  const originalCert = original?.data?.['tls.crt'];
  if (!originalCert) {
    throw new TargetNotFound(`Secret ${namespace}/${credential} not found or without tls.crt`);
  }
  // Only the public certificate is read, for its hosts; the original key is never touched.
  const leaf = firstPem(Buffer.from(originalCert, 'base64').toString('utf8'));
  const described = describeCertificate(leaf);
  const hosts =
    described.hosts.length > 0
      ? described.hosts
      : (picked.server.hosts ?? [])
          .map((host) => host.split('/').pop() ?? host)
          .filter((host) => host !== '*');
  if (hosts.length === 0) {
    throw new TargetNotFound(
      `the certificate in Secret ${namespace}/${credential} names no host and the server lists none`,
    );
  }
  const notAfter = new Date(ctx.now().getTime() - durationMs(params.expiredFor));
  const notBefore = new Date(notAfter.getTime() - EXPIRED_VALIDITY_MS);
  const ca = await createCertificateAuthority('GameDay expired-certificate CA', {
    notBefore: new Date(notBefore.getTime() - DAY_MS),
  });
  const expired = await issueCertificate(ca, {
    commonName: hosts[0] ?? 'gameday',
    hosts,
    notBefore,
    notAfter,
  });
  const name = `${credential}${EXPIRED_SUFFIX}`;
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: ownershipLabels(ctx.runId),
      annotations: {
        'gameday/fault': 'cert-expiry',
        'gameday/replaces': credential,
        'gameday/not-after': notAfter.toISOString(),
      },
    },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(expired.cert + ca.cert).toString('base64'),
      'tls.key': Buffer.from(expired.key).toString('base64'),
    },
  };
  await createOwned(ctx, SECRET_STEP, secret);
  await patchRecorded(ctx, GATEWAY_STEP, ref, [
    { path: credentialPath(picked.index), value: name },
  ]);
}

async function verifyGateway(ctx: FaultContext, params: GatewayParams): Promise<Verification> {
  const ref = gatewayRef(params);
  const namespace = ref.namespace ?? ctx.namespace;
  const gateway = await readObject<Gateway>(ctx, ref);
  const entries = await ctx.journal.entries();
  const patch = entries.find((e) => e.step === GATEWAY_STEP);
  const recorded = patch?.original as RecordedPatch | undefined;
  const created = entries.find((e) => e.step === SECRET_STEP)?.target;
  let expiredName = created?.name;
  let path = recorded?.fields.find((f) => f.path.endsWith('/tls/credentialName'))?.path;
  if (!expiredName || !path) {
    // Nothing journaled yet: work out what the inject would have done.
    const picked = gateway ? pickServer(gateway, params.server) : undefined;
    if (!picked || 'error' in picked) {
      return {
        state: 'reverted',
        details: [`Gateway ${namespace}/${ref.name}: nothing of this run`],
      };
    }
    path = credentialPath(picked.index);
    const current = picked.server.tls?.credentialName ?? '';
    expiredName ??= current.endsWith(EXPIRED_SUFFIX) ? current : `${current}${EXPIRED_SUFFIX}`;
  }
  const secret = await readObject<Secret>(ctx, secretRef(namespace, expiredName));
  const ours = secret !== undefined && owningRun(secret.metadata) === ctx.runId;
  const index = Number(path.split('/')[3]);
  const pointing = gateway?.spec?.servers?.[index]?.tls?.credentialName;
  const details: string[] = [];
  if (pointing === expiredName && ours) {
    return {
      state: 'in-effect',
      details: [
        `Gateway ${namespace}/${ref.name} server ${index} loads Secret ${namespace}/${expiredName} (expired certificate of this run)`,
      ],
    };
  }
  const restored = recorded ? originalsRestored(gateway, recorded) : pointing !== expiredName;
  details.push(
    restored
      ? `Gateway ${namespace}/${ref.name} server ${index} has its original credentialName${pointing ? ` (${pointing})` : ''}`
      : `Gateway ${namespace}/${ref.name} server ${index} points at ${pointing ?? 'nothing'}, not its original credentialName`,
  );
  details.push(
    ours
      ? `Secret ${namespace}/${expiredName} of this run still exists`
      : `no Secret ${namespace}/${expiredName} of this run`,
  );
  return { state: restored && !ours ? 'reverted' : 'partial', details };
}

/** The first PEM block of a chain (the leaf). */
function firstPem(text: string): string {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!match) throw new TargetNotFound('tls.crt holds no PEM certificate');
  return `${match[0]}\n`;
}

// ---------------------------------------------------------------------------------------------
// mode: mesh-ca
// ---------------------------------------------------------------------------------------------

async function preflightMeshCa(ctx: FaultContext): Promise<Finding[]> {
  const findings: Finding[] = [
    {
      severity: 'warning',
      message: `mesh-wide: istiod in ${ctx.namespace} restarts with an expired CA; every workload loses mTLS as its certificate rotates (by default within 24h, sooner for new and restarted pods)`,
    },
  ];
  const cacerts = await readObject<Secret>(ctx, secretRef(ctx.namespace, CACERTS));
  const marker = cacerts?.metadata?.annotations?.[PATCHED_BY_ANNOTATION];
  if (cacerts) {
    findings.push({
      severity: 'info',
      message: `Secret ${ctx.namespace}/${CACERTS} exists (plug-in CA): it is backed up to Secret ${ctx.namespace}/${BACKUP} inside the cluster and restored from there`,
    });
    const owner = owningRun(cacerts.metadata);
    if (
      (owner !== undefined && owner !== ctx.runId) ||
      (marker !== undefined && marker !== ctx.runId)
    ) {
      findings.push({
        severity: 'blocker',
        message: `Secret ${ctx.namespace}/${CACERTS} is held by run ${owner ?? marker ?? ''}; not touching it`,
      });
    }
  } else {
    const root = await readObject<Secret>(ctx, secretRef(ctx.namespace, SELF_SIGNED_ROOT));
    findings.push({
      severity: 'info',
      message: `no Secret ${ctx.namespace}/${CACERTS}: istiod uses its self-signed root${root ? ` (Secret ${SELF_SIGNED_ROOT})` : ''}; the fault creates ${CACERTS} and revert deletes it`,
    });
  }
  const backup = await readObject<Secret>(ctx, secretRef(ctx.namespace, BACKUP));
  if (backup && owningRun(backup.metadata) !== ctx.runId) {
    findings.push({
      severity: 'blocker',
      message: `Secret ${ctx.namespace}/${BACKUP} already exists and is not this run's: restore or remove it first`,
    });
  }
  if ((await istiodPods(ctx, DEFAULT_REVISION)).length === 0) {
    findings.push({
      severity: 'warning',
      message: `no pod in ${ctx.namespace} matches ${istiodSelectorText(DEFAULT_REVISION)}: nothing will reload the CA`,
    });
  }
  return findings;
}

async function injectMeshCa(ctx: FaultContext, expiredFor: string): Promise<void> {
  const entries = await ctx.journal.entries();
  const caEntry = entries.find((e) => e.step === CACERTS_STEP);
  if (caEntry?.state !== 'applied') {
    const cacerts = await readObject<Secret>(ctx, secretRef(ctx.namespace, CACERTS));
    // A retried inject keeps the first attempt's decision: a cacerts this run created is not
    // a pre-existing one to back up.
    const existed = caEntry ? caEntry.action === 'patch' : cacerts !== undefined;
    const bundle = await expiredBundle(ctx, expiredFor, existed ? cacerts : undefined);
    if (existed) {
      if (!cacerts) throw new TargetNotFound(`Secret ${ctx.namespace}/${CACERTS} disappeared`);
      await installOverExisting(ctx, cacerts, bundle);
    } else {
      await createOwned(ctx, CACERTS_STEP, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: CACERTS,
          namespace: ctx.namespace,
          labels: ownershipLabels(ctx.runId),
          annotations: { 'gameday/fault': 'cert-expiry' },
        },
        type: 'Opaque',
        data: bundle,
      } as Secret);
    }
  }
  await restartControlPlane(ctx, RESTART_STEP, DEFAULT_REVISION, 'istiod');
}

/**
 * The expired CA as `cacerts` data. pki.ts issues leaf certificates only, so the expired CA is
 * a self-signed throwaway CA whose validity ended `expiredFor` ago (cert-chain.pem is that CA
 * alone: a self-contained chain). root-cert.pem keeps the mesh's current root (the plug-in
 * root, else istiod's self-signed one), so the trust anchor sent to workloads is unchanged;
 * istiod refuses the bundle because ca-cert.pem has expired.
 */
async function expiredBundle(
  ctx: FaultContext,
  expiredFor: string,
  existing: Secret | undefined,
): Promise<Record<string, string>> {
  const notAfter = new Date(ctx.now().getTime() - durationMs(expiredFor));
  const notBefore = new Date(notAfter.getTime() - EXPIRED_VALIDITY_MS);
  const ca = await createCertificateAuthority('GameDay expired intermediate CA', {
    notBefore,
    notAfter,
  });
  let root = existing?.data?.['root-cert.pem'];
  if (!root) {
    const selfSigned = await readObject<Secret>(ctx, secretRef(ctx.namespace, SELF_SIGNED_ROOT));
    root = selfSigned?.data?.['ca-cert.pem'] || undefined;
  }
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    'ca-cert.pem': b64(ca.cert),
    'ca-key.pem': b64(ca.key),
    'cert-chain.pem': b64(ca.cert),
    'root-cert.pem': root ?? b64(ca.cert),
  };
}

/**
 * Backs up the existing `cacerts` into a Secret of this run (same namespace, exact data), then
 * replaces its data with the expired bundle. The journal records only where the backup is:
 * the plug-in CA's key never leaves the cluster.
 */
async function installOverExisting(
  ctx: FaultContext,
  cacerts: Secret,
  bundle: Record<string, string>,
): Promise<void> {
  const marker = cacerts.metadata?.annotations?.[PATCHED_BY_ANNOTATION];
  if (marker !== undefined && marker !== ctx.runId) {
    throw new OwnershipConflict(
      `Secret ${ctx.namespace}/${CACERTS} is being changed by run ${marker}; not touching it`,
    );
  }
  const backupRef = secretRef(ctx.namespace, BACKUP);
  // A cacerts already marked by this run holds the expired bundle: never back that up.
  if (marker === undefined) {
    await createOwned(ctx, BACKUP_STEP, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: BACKUP,
        namespace: ctx.namespace,
        labels: ownershipLabels(ctx.runId),
        annotations: {
          'gameday/fault': 'cert-expiry',
          [ORIGINAL_TYPE_ANNOTATION]: cacerts.type ?? 'Opaque',
        },
      },
      type: cacerts.type ?? 'Opaque',
      data: { ...(cacerts.data ?? {}) },
    } as Secret);
  }
  const ref = secretRef(ctx.namespace, CACERTS);
  const original: BackupRecord = { backup: backupRef };
  const next = structuredClone(cacerts);
  next.data = bundle;
  next.metadata = {
    ...next.metadata,
    annotations: {
      ...next.metadata?.annotations,
      [PATCHED_BY_ANNOTATION]: ctx.runId,
      [CHANGED_ANNOTATION]: JSON.stringify(['/data']),
    },
  };
  if (ctx.dryRun) {
    ctx.dryRun.push({
      verb: 'replace',
      ...ref,
      body: { ...next, data: withoutKeyMaterial(bundle) },
      changes: [{ path: '/data', value: withoutKeyMaterial(bundle) }],
    });
    return;
  }
  const entry: Omit<JournalEntry, 'at'> = {
    step: CACERTS_STEP,
    action: 'patch',
    target: ref,
    original,
    state: 'planned',
  };
  await record(ctx, entry);
  await replaceSecret(ctx, ref, (current) => {
    const holder = current.metadata?.annotations?.[PATCHED_BY_ANNOTATION];
    if (holder !== undefined && holder !== ctx.runId) {
      throw new OwnershipConflict(
        `Secret ${ctx.namespace}/${CACERTS} is being changed by run ${holder}; not touching it`,
      );
    }
    const changed = structuredClone(current);
    changed.data = bundle;
    changed.metadata = { ...changed.metadata, annotations: next.metadata?.annotations ?? {} };
    return changed;
  });
  await record(ctx, { ...entry, state: 'applied' });
}

async function revertMeshCa(ctx: FaultContext): Promise<void> {
  const pending = await pendingReverts(ctx);
  const ca = pending.find((e) => e.step === CACERTS_STEP);
  if (ca) {
    if (ca.action === 'create') await deleteOwned(ctx, ca);
    else await restoreFromBackup(ctx, ca);
  }
  // istiod reads cacerts at start only: restart it so it loads the original CA again.
  if ((await ctx.journal.entries()).some((e) => e.step === CACERTS_STEP)) {
    await restartControlPlane(ctx, REVERT_RESTART_STEP, DEFAULT_REVISION, 'istiod', 'reverted');
  }
  if (!ctx.dryRun) {
    for (const entry of pending) {
      // The pods deleted on inject were replaced by their ReplicaSet: nothing to restore.
      if (entry.step === RESTART_STEP) await record(ctx, { ...entry, state: 'reverted' });
    }
  }
  // The backup goes last, once the original is back in cacerts.
  const backup = pending.find((e) => e.step === BACKUP_STEP);
  if (backup) await deleteOwned(ctx, backup);
}

/** Puts the backed-up data back into cacerts (re-creating it if someone deleted it). */
async function restoreFromBackup(ctx: FaultContext, entry: JournalEntry): Promise<void> {
  const ref = entry.target;
  const { backup: backupRef } = entry.original as BackupRecord;
  const backup = await readObject<Secret>(ctx, backupRef);
  if (!backup || owningRun(backup.metadata) !== ctx.runId) {
    throw new TargetNotFound(
      `backup Secret ${backupRef.namespace ?? ''}/${backupRef.name} of this run is missing: cannot restore ${ref.namespace ?? ''}/${ref.name}; restore it from your own records`,
    );
  }
  const current = await readObject<Secret>(ctx, ref);
  if (!current) {
    const recreated: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace: ref.namespace ?? ctx.namespace },
      type: backup.metadata?.annotations?.[ORIGINAL_TYPE_ANNOTATION] ?? backup.type ?? 'Opaque',
      data: { ...(backup.data ?? {}) },
    };
    if (ctx.dryRun) {
      ctx.dryRun.push({
        verb: 'create',
        ...ref,
        body: { ...recreated, data: withoutKeyMaterial(recreated.data ?? {}) },
      });
      return;
    }
    try {
      await ctx.kube.objects.create(recreated);
    } catch (err) {
      if (httpStatus(err) !== 409)
        throw fromKubeError(err, { verb: 'create', resource: 'secrets', ...ref });
      return restoreFromBackup(ctx, entry);
    }
  } else {
    const restore = (object: Secret): Secret => {
      const holder = object.metadata?.annotations?.[PATCHED_BY_ANNOTATION];
      if (holder !== undefined && holder !== ctx.runId) {
        throw new OwnershipConflict(
          `Secret ${ref.namespace ?? ''}/${ref.name} is now marked by run ${holder}; refusing to restore over it`,
        );
      }
      const next = structuredClone(object);
      next.data = { ...(backup.data ?? {}) };
      const annotations = { ...next.metadata?.annotations };
      delete annotations[PATCHED_BY_ANNOTATION];
      delete annotations[CHANGED_ANNOTATION];
      next.metadata = { ...next.metadata, annotations };
      return next;
    };
    if (ctx.dryRun) {
      const body = restore(current);
      ctx.dryRun.push({
        verb: 'replace',
        ...ref,
        body: { ...body, data: withoutKeyMaterial(body.data ?? {}) },
      });
      return;
    }
    await replaceSecret(ctx, ref, restore);
  }
  await record(ctx, { ...entry, state: 'reverted' });
}

async function verifyMeshCa(ctx: FaultContext): Promise<Verification> {
  const cacerts = await readObject<Secret>(ctx, secretRef(ctx.namespace, CACERTS));
  const backup = await readObject<Secret>(ctx, secretRef(ctx.namespace, BACKUP));
  const ownsCacerts =
    cacerts !== undefined &&
    (owningRun(cacerts.metadata) === ctx.runId ||
      cacerts.metadata?.annotations?.[PATCHED_BY_ANNOTATION] === ctx.runId);
  const backupOurs = backup !== undefined && owningRun(backup.metadata) === ctx.runId;
  const caPem = cacerts?.data?.['ca-cert.pem'];
  let expired = false;
  if (ownsCacerts && caPem) {
    try {
      expired =
        describeCertificate(Buffer.from(caPem, 'base64').toString('utf8')).notAfter < ctx.now();
    } catch {
      expired = false;
    }
  }
  if (ownsCacerts && expired) {
    return {
      state: 'in-effect',
      details: [
        `Secret ${ctx.namespace}/${CACERTS} holds this run's expired CA`,
        ...(backupOurs ? [`original kept in Secret ${ctx.namespace}/${BACKUP}`] : []),
      ],
    };
  }
  if (!ownsCacerts && !backupOurs) {
    return {
      state: 'reverted',
      details: [
        cacerts
          ? `Secret ${ctx.namespace}/${CACERTS} is not this run's (original plug-in CA)`
          : `no Secret ${ctx.namespace}/${CACERTS}: istiod uses its self-signed root`,
        `no backup Secret of this run`,
      ],
    };
  }
  return {
    state: 'partial',
    details: [
      ownsCacerts
        ? `Secret ${ctx.namespace}/${CACERTS} is still this run's`
        : `Secret ${ctx.namespace}/${CACERTS} is not this run's`,
      backupOurs
        ? `backup Secret ${ctx.namespace}/${BACKUP} of this run still exists`
        : 'no backup Secret of this run',
    ],
  };
}

/** Read-modify-replace with the object's resourceVersion, retried on conflict. */
async function replaceSecret(
  ctx: FaultContext,
  ref: ObjectRef,
  change: (current: Secret) => Secret,
): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await readObject<Secret>(ctx, ref);
    if (!current) throw new TargetNotFound(`Secret ${ref.namespace ?? ''}/${ref.name} not found`);
    try {
      await ctx.kube.objects.replace(change(current));
      return;
    } catch (err) {
      if (httpStatus(err) !== 409)
        throw fromKubeError(err, { verb: 'update', resource: 'secrets', ...ref });
    }
  }
  throw new Transient(`Secret ${ref.namespace ?? ''}/${ref.name} kept changing under the update`);
}

async function record(ctx: FaultContext, entry: Omit<JournalEntry, 'at'>): Promise<void> {
  await ctx.journal.record({ ...entry, at: ctx.now().toISOString() });
}

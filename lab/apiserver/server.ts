import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authenticate, authorize, type LabUser } from './auth.js';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, versionInfo } from './discovery.js';
import { ApiError, errors } from './errors.js';
import type { ApiFailures } from './failures.js';
import type { Registry } from './registry.js';
import { type DeleteOptions } from './registry.js';
import { findResource, groupVersion, type ResourceType } from './resources.js';
import type { StoreEvent } from './store.js';
import { toTable, wantsTable } from './table.js';
import type { KubeObject } from './types.js';

/** kube-apiserver's default limit on request bodies. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const DEFAULT_WATCH_TIMEOUT_S = 30 * 60;

export interface ApiServerOptions {
  registry: Registry;
  users: readonly LabUser[];
  host?: string;
  port?: number;
  /** Serve HTTPS with this certificate (PEM); plain HTTP without it. */
  tls?: { cert: string; key: string };
  /** Told about every authenticated resource request once it is answered, like an audit backend. */
  audit?: (event: AuditEvent) => void;
  /** Request-failure rules consulted before serving each authorized resource request. */
  failures?: ApiFailures;
}

/** One answered resource request, in the terms of Kubernetes audit events. */
export interface AuditEvent {
  user: string;
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** HTTP status of the answer (for a watch, of its start). */
  code: number;
}

export interface RunningApiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** A request aimed at a resource: what RBAC calls the request attributes. */
interface ResourceRequest {
  resource: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(options, req, res).catch((err: unknown) => sendError(res, err));
  };
  const server: Server = options.tls
    ? createTlsServer(options.tls, listener)
    : createServer(listener);
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://${address}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: ApiServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://lab');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';

  if (['/healthz', '/livez', '/readyz'].includes(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
    return;
  }

  const user = authenticate(options.users, req.headers.authorization);
  if (!user) throw errors.unauthorized();

  const discovery = discoveryDocument(path, req.headers.host ?? '');
  if (discovery !== undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed();
    if (discovery === null) throw errors.pathNotFound();
    sendJson(res, 200, discovery);
    return;
  }

  const target = parseResourcePath(path);
  if (!target) throw errors.pathNotFound();
  const verb = verbFor(method, target, url.searchParams);
  // Like kube-apiserver's RequestInfo, a request for one namespace (`namespaces/<name>[/status]`)
  // is in that namespace, so a RoleBinding there can grant it.
  const namespace =
    target.namespace ??
    (target.resource.group === '' && target.resource.plural === 'namespaces'
      ? target.name
      : undefined);
  const attributes = {
    verb,
    group: target.resource.group,
    resource: target.resource.plural,
    ...(target.subresource !== undefined && { subresource: target.subresource }),
    ...(namespace !== undefined && { namespace }),
    ...(target.name !== undefined && { name: target.name }),
  };
  const { audit } = options;
  if (audit)
    res.once('close', () => audit({ user: user.name, ...attributes, code: res.statusCode }));
  if (!authorize(user, attributes)) {
    throw errors.forbidden(user.name, verb, target.resource, namespace, target.name);
  }
  const serve = () => serveResource(options.registry, verb, target, url.searchParams, req, res);
  const failure = options.failures?.take({ user: user.name, ...attributes });
  if (failure) {
    const about = { user: user.name, verb, ...target };
    await options.failures!.apply(failure, about, req, res, serve);
    return;
  }
  await serve();
}

/** Discovery documents by path: a document, null for an unknown discovery path, undefined otherwise. */
function discoveryDocument(path: string, host: string): Record<string, unknown> | null | undefined {
  if (path === '/version') return versionInfo();
  if (path === '/api') return coreVersions(host);
  if (path === '/api/v1') return apiResourceList('', 'v1') ?? null;
  if (path === '/apis') return apiGroupList();
  const match = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!match) return undefined;
  const [, group = '', version] = match;
  return (version === undefined ? apiGroup(group) : apiResourceList(group, version)) ?? null;
}

function parseResourcePath(path: string): ResourceRequest | undefined {
  const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
  if (!match) return undefined;
  const [, coreVersion, group = '', groupVersionPart, rest = ''] = match;
  const version = coreVersion ?? groupVersionPart ?? '';
  const segments = rest.split('/').map(decodeURIComponent);
  let namespace: string | undefined;
  // `namespaces/<ns>/<plural>…` addresses namespaced resources; `namespaces/<name>[/status]` the namespace itself.
  if (
    segments[0] === 'namespaces' &&
    segments.length >= 3 &&
    segments[2] !== 'status' &&
    segments[2] !== 'finalize'
  ) {
    namespace = segments[1];
    segments.splice(0, 2);
  }
  const [plural = '', name, subresource, ...extra] = segments;
  if (extra.length > 0) return undefined;
  const resource = findResource(group, version, plural);
  if (!resource) return undefined;
  if (namespace !== undefined && !resource.namespaced) return undefined;
  if (subresource !== undefined && !resource.subresources?.includes(subresource as 'status'))
    return undefined;
  return {
    resource,
    version,
    ...(namespace !== undefined && { namespace }),
    ...(name !== undefined && { name }),
    ...(subresource !== undefined && { subresource }),
  };
}

function verbFor(method: string, target: ResourceRequest, query: URLSearchParams): string {
  const collection = target.name === undefined;
  switch (method) {
    case 'GET':
      if (!collection) return 'get';
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    case 'POST':
      if (!collection) throw errors.methodNotAllowed();
      return 'create';
    case 'PUT':
      if (collection) throw errors.methodNotAllowed();
      return 'update';
    case 'PATCH':
      if (collection) throw errors.methodNotAllowed();
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      throw errors.methodNotAllowed();
  }
}

async function serveResource(
  registry: Registry,
  verb: string,
  target: ResourceRequest,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { resource, version, namespace, name = '', subresource } = target;
  const dryRun = query.getAll('dryRun').includes('All');
  const writeOptions = {
    dryRun,
    version,
    ...(subresource === 'status' && { subresource: 'status' as const }),
  };
  const out = (object: KubeObject) => asVersion(object, resource, version);
  const table = wantsTable(req.headers.accept);
  const listOptions = {
    labelSelector: query.get('labelSelector') ?? '',
    fieldSelector: query.get('fieldSelector') ?? '',
    limit: Number(query.get('limit') ?? 0) || 0,
    ...(query.get('continue') && { continueToken: query.get('continue') ?? '' }),
  };

  switch (verb) {
    case 'get': {
      const object = out(registry.get(resource, namespace, name));
      sendJson(
        res,
        200,
        table
          ? toTable(resource, [object], { resourceVersion: object.metadata.resourceVersion })
          : object,
      );
      return;
    }
    case 'list': {
      const result = registry.list(resource, namespace, listOptions);
      if (table) {
        sendJson(
          res,
          200,
          toTable(resource, result.items.map(out), {
            resourceVersion: result.resourceVersion,
            ...(result.continueToken && { continue: result.continueToken }),
          }),
        );
        return;
      }
      sendJson(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: groupVersion(resource.group, version),
        metadata: {
          resourceVersion: result.resourceVersion,
          ...(result.continueToken && { continue: result.continueToken }),
          ...(result.remainingItemCount !== undefined && {
            remainingItemCount: result.remainingItemCount,
          }),
        },
        items: result.items.map((item) => listItem(out(item), resource)),
      });
      return;
    }
    case 'watch':
      watch(registry, target, query, req, res);
      return;
    case 'create': {
      const created = registry.create(resource, namespace, await readJson(req), writeOptions);
      sendJson(res, 201, out(created));
      return;
    }
    case 'update':
      sendJson(
        res,
        200,
        out(registry.replace(resource, namespace, name, await readJson(req), writeOptions)),
      );
      return;
    case 'patch': {
      const contentType = req.headers['content-type'] ?? '';
      const patched = registry.patch(
        resource,
        namespace,
        name,
        contentType,
        await readBody(req),
        writeOptions,
      );
      sendJson(res, 200, out(patched));
      return;
    }
    case 'delete': {
      const removed = registry.delete(resource, namespace, name, await deleteOptions(req, query));
      sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: resource.group, kind: resource.plural, uid: removed.metadata.uid },
      });
      return;
    }
    case 'deletecollection': {
      const removed = registry.deleteCollection(resource, namespace, {
        ...listOptions,
        limit: 0,
        ...(await deleteOptions(req, query)),
      });
      sendJson(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: groupVersion(resource.group, version),
        metadata: { resourceVersion: String(registry.store.revision) },
        items: removed.map((item) => listItem(out(item), resource)),
      });
      return;
    }
    default:
      throw errors.methodNotAllowed();
  }
}

function watch(
  registry: Registry,
  target: ResourceRequest,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const { resource, version, namespace } = target;
  const matchesSelectors = registry.filterFor(
    resource,
    query.get('labelSelector') ?? '',
    query.get('fieldSelector') ?? '',
  );
  const inScope = (object: KubeObject) =>
    (namespace === undefined || object.metadata.namespace === namespace) &&
    matchesSelectors(object);
  const timeoutSeconds =
    Number(query.get('timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_S) || DEFAULT_WATCH_TIMEOUT_S;
  const resourceVersion = query.get('resourceVersion') ?? '';

  let fromRevision: number | undefined;
  if (resourceVersion !== '' && resourceVersion !== '0') {
    fromRevision = Number(resourceVersion);
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
      throw errors.badRequest(
        `resourceVersion: Invalid value: "${resourceVersion}": must be a non-negative integer`,
      );
    }
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  // Clients wait for the response headers before they consider the watch established.
  res.flushHeaders();
  const table = wantsTable(req.headers.accept);
  const send = (type: string, object: unknown) => {
    const body =
      table && type !== 'ERROR'
        ? toTable(resource, [object as KubeObject], {
            resourceVersion: (object as KubeObject).metadata.resourceVersion,
          })
        : object;
    res.write(`${JSON.stringify({ type, object: body })}\n`);
  };

  const onEvent = (event: StoreEvent) => {
    if (event.resource !== resource) return;
    const now = inScope(event.object);
    const before = event.previous !== undefined && inScope(event.previous);
    const object = asVersion(event.object, resource, version);
    if (event.type === 'MODIFIED') {
      // A filtered watch shows objects entering and leaving the filter as ADDED and DELETED.
      if (now && before) send('MODIFIED', object);
      else if (now) send('ADDED', object);
      else if (before) send('DELETED', object);
    } else if (now) {
      send(event.type, object);
    }
  };

  if (fromRevision === undefined) {
    // No resourceVersion (or 0): the current state as ADDED events, then every change.
    for (const object of registry.store.list(resource, namespace).filter(inScope)) {
      send('ADDED', asVersion(object, resource, version));
    }
  }
  const unsubscribe = registry.subscribe(fromRevision, onEvent);
  if (!unsubscribe) {
    send(
      'ERROR',
      errors
        .expired(`too old resource version: ${resourceVersion} (${registry.store.oldestResumable})`)
        .toStatus(),
    );
    res.end();
    return;
  }
  const timer = setTimeout(() => res.end(), timeoutSeconds * 1000);
  const stop = () => {
    clearTimeout(timer);
    unsubscribe();
  };
  req.on('close', stop);
  res.on('close', stop);
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const text = await readBody(req);
  const body = text.trim() === '' ? {} : (parseJson(text) as Record<string, unknown>);
  const policy = (body.propagationPolicy ?? query.get('propagationPolicy') ?? undefined) as
    DeleteOptions['propagationPolicy'] | undefined;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${String(policy)}"`);
  }
  const dryRun =
    (Array.isArray(body.dryRun) && body.dryRun.includes('All')) ||
    query.getAll('dryRun').includes('All');
  const preconditions = body.preconditions as DeleteOptions['preconditions'] | undefined;
  return {
    dryRun,
    ...(policy !== undefined && { propagationPolicy: policy }),
    ...(preconditions && { preconditions }),
  };
}

function asVersion(object: KubeObject, resource: ResourceType, version: string): KubeObject {
  return { ...object, apiVersion: groupVersion(resource.group, version) };
}

/** Items of typed (built-in) lists carry no kind/apiVersion on the wire; CRD list items do. */
function listItem(object: KubeObject, resource: ResourceType): Record<string, unknown> {
  if (!resource.builtin) return object;
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw errors.tooLarge('Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim();
  if (contentType !== 'application/json' && contentType !== '*/*') {
    throw errors.unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  }
  return parseJson(await readBody(req));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`the object provided is unrecognized: ${(err as Error).message}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, err: unknown): void {
  const apiError =
    err instanceof ApiError
      ? err
      : new ApiError(
          500,
          'InternalError',
          `Internal error occurred: ${(err as Error)?.message ?? String(err)}`,
        );
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus());
}

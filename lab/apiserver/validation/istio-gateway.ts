/** Istio's ValidateGateway (networking.istio.io Gateway): servers, ports, hosts and TLS. */
import { isIP } from 'node:net';
import {
  asArray,
  asObject,
  asString,
  child,
  goQuote,
  index,
  isObject,
  type Json,
} from './field.js';
import {
  isIstioLabel,
  strList,
  wildcardDomainError,
  portError,
  type Deny,
} from './istio-common.js';

// ---- Gateway (ValidateGateway) ----
type Protocol =
  | 'TCP'
  | 'UDP'
  | 'GRPC'
  | 'GRPC-Web'
  | 'HTTP'
  | 'HTTP_PROXY'
  | 'HTTP2'
  | 'HTTPS'
  | 'TLS'
  | 'Mongo'
  | 'Redis'
  | 'MySQL'
  | 'Unsupported';
const PROTOCOLS: Record<string, Protocol> = {
  tcp: 'TCP', udp: 'UDP', grpc: 'GRPC', 'grpc-web': 'GRPC-Web', http: 'HTTP', http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2', https: 'HTTPS', tls: 'TLS', mongo: 'Mongo', redis: 'Redis', mysql: 'MySQL',
}; // prettier-ignore
const parseProtocol = (s: string): Protocol => PROTOCOLS[s.toLowerCase()] ?? 'Unsupported';
const isTLSProtocol = (p: Protocol): boolean => p === 'HTTPS' || p === 'TLS';
const isHTTPProtocol = (p: Protocol): boolean =>
  ['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-Web'].includes(p);

/** A networking.Port in protobuf text format, as `%v` prints it. */
function portText(port: Json): string {
  const parts: string[] = [];
  if (port.number) parts.push(`number:${Number(port.number)}`);
  if (asString(port.protocol)) parts.push(`protocol:${goQuote(asString(port.protocol))}`);
  if (asString(port.name)) parts.push(`name:${goQuote(asString(port.name))}`);
  if (port.targetPort) parts.push(`target_port:${Number(port.targetPort)}`);
  return parts.join(' ');
}

function hostErrors(hostname: string): string[] {
  const slash = hostname.indexOf('/');
  if (slash < 0) {
    const e = wildcardDomainError(hostname);
    return e ? [e] : [];
  }
  const ns = hostname.slice(0, slash);
  const dns = hostname.slice(slash + 1);
  const errs: string[] = [];
  if (!ns || !dns) errs.push('config namespace and dnsName in host entry cannot be empty');
  if (ns !== '*' && ns !== '.' && !isIstioLabel(ns))
    errs.push(`invalid namespace value ${goQuote(ns)} in gateway`);
  const e = wildcardDomainError(dns);
  if (e) errs.push(e);
  return errs;
}

function tlsOptionErrors(tls: Json): string[] {
  const errs: string[] = [];
  const mode = asString(tls.mode) || 'PASSTHROUGH';
  const certs = asArray(tls.tlsCertificates);
  const credentialNames = asArray(tls.credentialNames);
  const s = (k: string) => asString(tls[k]);
  if (mode === 'ISTIO_MUTUAL') {
    if (s('serverCertificate'))
      errs.push('ISTIO_MUTUAL TLS cannot have associated server certificate');
    if (s('privateKey')) errs.push('ISTIO_MUTUAL TLS cannot have associated private key');
    if (s('caCertificates')) errs.push('ISTIO_MUTUAL TLS cannot have associated CA bundle');
    if (certs.length) errs.push('ISTIO_MUTUAL TLS cannot have associated tlsCertificates');
    if (s('credentialName')) errs.push('ISTIO_MUTUAL TLS cannot have associated credentialName');
    if (credentialNames.length)
      errs.push('ISTIO_MUTUAL TLS cannot have associated credentialNames');
    return errs;
  }
  const sources = [
    s('serverCertificate') && s('privateKey'),
    s('credentialName'),
    credentialNames.length,
    certs.length,
  ].filter(Boolean).length;
  if (sources > 1) {
    errs.push(
      'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified',
    );
  }
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  // With credentialName the certificates come from a Secret, so none are required inline.
  if (terminating && (s('credentialName') || credentialNames.length)) return errs;
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (prefix === 'MUTUAL TLS' && !s('caCertificates'))
      errs.push(`${prefix} requires a client CA bundle`);
    const toVerify = certs.length
      ? certs.map(asObject)
      : [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }];
    for (const cert of toVerify) {
      if (!asString(cert.serverCertificate)) errs.push(`${prefix} requires a server certificate`);
      if (!asString(cert.privateKey)) errs.push(`${prefix} requires a private key`);
    }
  }
  if (s('caCrl')) {
    if (s('credentialName'))
      errs.push(
        'CRL is not supported with credentialName. CRL has to be specified in the credential',
      );
    if (mode === 'SIMPLE') errs.push('CRL is not supported with SIMPLE TLS');
  }
  return errs;
}

function validateServer(raw: unknown, at: string, deny: Deny): void {
  if (!isObject(raw)) {
    deny(at, 'cannot have nil server');
    return;
  }
  const hosts = strList(raw.hosts);
  if (!hosts.length) deny(child(at, 'hosts'), 'server config must contain at least one host');
  hosts.forEach((h, i) => hostErrors(h).forEach((e) => deny(index(child(at, 'hosts'), i), e)));
  const bind = asString(raw.bind);
  const portErrs: string[] = [];
  const port = isObject(raw.port) ? raw.port : undefined;
  if (!port) portErrs.push('port is required');
  else {
    const protocol = asString(port.protocol);
    if (parseProtocol(protocol) === 'Unsupported') {
      portErrs.push(
        `invalid protocol ${goQuote(protocol)}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`,
      );
    }
    const number = Number(port.number ?? 0);
    const bad = number > 0 || !bind.startsWith('unix://') ? portError(number) : undefined;
    if (bad) portErrs.push(bad);
    if (Number(port.targetPort ?? 0) > 0) portErrs.push('targetPort has no impact on Gateways');
    if (!asString(port.name)) portErrs.push(`port name must be set: ${portText(port)}`);
  }
  portErrs.forEach((e) => deny(child(at, 'port'), e));
  if (bind.startsWith('unix://')) {
    const addr = bind.slice('unix://'.length);
    if (!addr) deny(child(at, 'bind'), 'unix address must not be empty');
    else if (!addr.startsWith('@') && (!addr.startsWith('/') || addr.endsWith('/')))
      deny(child(at, 'bind'), `${addr} is not an absolute path to a file`);
    if (port && Number(port.number ?? 0) !== 0)
      deny(child(at, 'bind'), `port number must be 0 for unix domain socket: ${portText(port)}`);
  } else if (bind && isIP(bind) === 0) {
    deny(child(at, 'bind'), `${bind} is not a valid IP`);
  }
  const tls = isObject(raw.tls) ? raw.tls : undefined;
  if (tls) tlsOptionErrors(tls).forEach((e) => deny(child(at, 'tls'), e));
  if (port && portErrs.length === 0) {
    const p = parseProtocol(asString(port.protocol));
    if (isTLSProtocol(p) && !tls) deny(at, 'server must have TLS settings for HTTPS/TLS protocols');
    else if (!isTLSProtocol(p) && tls) {
      const mode = asString(tls.mode) || 'PASSTHROUGH';
      const passthrough = mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
      if (!isHTTPProtocol(p))
        deny(child(at, 'tls'), 'server cannot have TLS settings for non HTTPS/TLS ports');
      else if (
        !passthrough ||
        ['caCertificates', 'privateKey', 'serverCertificate'].some((k) => asString(tls[k]))
      ) {
        deny(child(at, 'tls'), 'server cannot have TLS settings for plain text HTTP ports');
      }
    }
  }
}

export function validateGateway(name: string, spec: Json, deny: Deny): void {
  if (!isIstioLabel(name)) deny('metadata.name', `invalid gateway name: ${goQuote(name)}`);
  const servers = asArray(spec.servers);
  if (!servers.length) deny('spec.servers', 'gateway must have at least one server');
  servers.forEach((s, i) => validateServer(s, index('spec.servers', i), deny));
  const portNames = new Set<string>();
  servers.forEach((s, i) => {
    if (!isObject(s)) {
      deny(index('spec.servers', i), 'server may not be nil');
      return;
    }
    if (!isObject(s.port)) return;
    const portName = asString(s.port.name);
    if (portNames.has(portName)) {
      deny(
        child(index('spec.servers', i), 'port.name'),
        `port names in servers must be unique: duplicate name ${portName}`,
      );
    }
    portNames.add(portName);
  });
}

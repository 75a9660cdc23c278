import type { BackendKind } from './backend.js';

/** Name under which containers reach ports exposed with TestContainers.exposeHostPorts. */
export const CONTAINER_HOST_ALIAS = 'host.testcontainers.internal';

const LOOPBACK_WITH_PORT = /\b(?:127\.0\.0\.1|localhost):(\d{1,5})\b/g;

/**
 * Translates addresses on this host's loopback (scrape targets, webhook receivers, other
 * services) into addresses a service can reach: unchanged locally, and
 * host.testcontainers.internal:PORT in Docker mode, remembering which ports to expose.
 */
export class HostAccess {
  readonly #kind: BackendKind;
  readonly #ports = new Set<number>();

  constructor(kind: BackendKind) {
    this.#kind = kind;
  }

  /** Host ports that containers must be able to reach. */
  get ports(): number[] {
    return [...this.#ports];
  }

  /** The host name under which the service reaches this host; undefined when it runs locally. */
  get alias(): string | undefined {
    return this.#kind === 'local' ? undefined : CONTAINER_HOST_ALIAS;
  }

  /** Rewrites every 127.0.0.1:PORT and localhost:PORT in an address, a URL or a whole config. */
  rewrite(text: string): string {
    if (this.#kind === 'local') return text;
    return text.replace(LOOPBACK_WITH_PORT, (_match, port: string) => {
      this.#ports.add(Number(port));
      return `${CONTAINER_HOST_ALIAS}:${port}`;
    });
  }

  /** Notes the loopback ports in `text` as ones to expose, for addresses rewritten elsewhere. */
  expose(text: string): void {
    this.rewrite(text);
  }
}

import { stringify } from 'yaml';

/** The lab's scrape jobs (docs/lab-telemetry.md); the SD document labels each target with one. */
export const LAB_SCRAPE_JOBS = [
  'istiod',
  'istio-proxies',
  'istio-gateway',
  'kube-state-metrics',
  'cadvisor',
  'apiserver',
] as const;

export interface StaticScrapeJob {
  job: string;
  /** host:port addresses. */
  targets: string[];
  /** Default `/metrics`. */
  metricsPath?: string;
}

export interface PrometheusConfigOptions {
  /** HTTP service-discovery URL (the lab's `/sd`): one scrape job per lab job reads it. */
  sdUrl?: string;
  /** Jobs with fixed targets, e.g. a test's metrics endpoint. */
  staticJobs?: StaticScrapeJob[];
  /** Paths as Prometheus should read them (relative paths are relative to the config file). */
  ruleFiles?: string[];
  /** Base URLs, e.g. `http://127.0.0.1:9093`. */
  alertmanagerUrls?: string[];
  /** Default 1s. */
  scrapeInterval?: string;
  /** Default 1s. */
  evaluationInterval?: string;
  /**
   * For a Prometheus in a container: the host name under which it reaches this host's loopback.
   * Target addresses on 127.0.0.1/localhost are rewritten to it; `instance` keeps the original.
   */
  loopbackAlias?: string;
}

/** prometheus.yml for the lab (or a test): the SD-fed lab jobs, static jobs, rules, alerting. */
export function prometheusConfig(options: PrometheusConfigOptions): string {
  const { sdUrl, staticJobs = [], ruleFiles = [], alertmanagerUrls = [], loopbackAlias } = options;
  const addressRelabeling = loopbackAlias === undefined ? [] : reachLoopbackVia(loopbackAlias);
  const sdJobs =
    sdUrl === undefined
      ? []
      : LAB_SCRAPE_JOBS.map((job) => ({
          job_name: job,
          // Lab series that describe other objects carry their own namespace/pod/container.
          honor_labels: true,
          http_sd_configs: [{ url: sdUrl, refresh_interval: '1s' }],
          // Every job reads the whole document and keeps its own targets. The SD `job` label
          // (like `__metrics_path__`) takes precedence over job_name, so it is the one stored.
          relabel_configs: [
            { source_labels: ['job'], regex: escapeRegex(job), action: 'keep' },
            ...addressRelabeling,
          ],
        }));
  const fixedJobs = staticJobs.map((job) => ({
    job_name: job.job,
    metrics_path: job.metricsPath ?? '/metrics',
    static_configs: [{ targets: job.targets }],
    ...(addressRelabeling.length > 0 && { relabel_configs: addressRelabeling }),
  }));
  return stringify({
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
    },
    ...(ruleFiles.length > 0 && { rule_files: ruleFiles }),
    ...(alertmanagerUrls.length > 0 && {
      alerting: { alertmanagers: alertmanagerUrls.map(alertmanagerEntry) },
    }),
    scrape_configs: [...sdJobs, ...fixedJobs],
  });
}

function reachLoopbackVia(alias: string): Array<Record<string, unknown>> {
  return [
    // Keep `instance` as discovered, so queries look the same wherever Prometheus runs.
    { source_labels: ['__address__'], target_label: 'instance' },
    {
      source_labels: ['__address__'],
      regex: '(?:127\\.0\\.0\\.1|localhost):(\\d+)',
      target_label: '__address__',
      replacement: `${alias}:$1`,
    },
  ];
}

function alertmanagerEntry(baseUrl: string): Record<string, unknown> {
  const url = new URL(baseUrl);
  return {
    scheme: url.protocol.replace(/:$/, ''),
    ...(url.pathname !== '/' && { path_prefix: url.pathname }),
    static_configs: [{ targets: [url.host] }],
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface AlertmanagerConfigOptions {
  /** Every alert goes here, resolved ones too. */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <secret>` with every notification. */
  webhookSecret?: string;
  /** Default 1s. */
  groupWait?: string;
  /** Default 1s. */
  groupInterval?: string;
  /** Default 1h: one notification per alert state change. */
  repeatInterval?: string;
}

/** alertmanager.yml routing every alert, one group per distinct alert, to one webhook. */
export function alertmanagerConfig(options: AlertmanagerConfigOptions): string {
  const { webhookUrl, webhookSecret } = options;
  return stringify({
    route: {
      receiver: 'gameday',
      // '...' groups by all labels: one notification group per distinct alert.
      group_by: ['...'],
      group_wait: options.groupWait ?? '1s',
      group_interval: options.groupInterval ?? '1s',
      repeat_interval: options.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: 'gameday',
        webhook_configs: [
          {
            url: webhookUrl,
            send_resolved: true,
            ...(webhookSecret !== undefined && {
              http_config: { authorization: { type: 'Bearer', credentials: webhookSecret } },
            }),
          },
        ],
      },
    ],
  });
}

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  alertmanagerConfig,
  LAB_SCRAPE_JOBS,
  prometheusConfig,
} from '../../lab/pipeline/config.js';

interface RelabelConfig {
  source_labels?: string[];
  regex?: string;
  action?: string;
  target_label?: string;
  replacement?: string;
}
interface ScrapeConfig {
  job_name: string;
  honor_labels?: boolean;
  metrics_path?: string;
  http_sd_configs?: Array<{ url: string; refresh_interval: string }>;
  static_configs?: Array<{ targets: string[] }>;
  relabel_configs?: RelabelConfig[];
}
interface PrometheusYaml {
  global: { scrape_interval: string; evaluation_interval: string };
  rule_files?: string[];
  alerting?: {
    alertmanagers: Array<{ scheme: string; path_prefix?: string; static_configs: unknown }>;
  };
  scrape_configs: ScrapeConfig[];
}

const SD_URL = 'http://127.0.0.1:39091/sd';

describe('prometheusConfig', () => {
  const config = parse(
    prometheusConfig({
      sdUrl: SD_URL,
      ruleFiles: ['rules/gameday-mesh.rules.yml'],
      alertmanagerUrls: ['http://127.0.0.1:9093', 'https://am.example.com/alertmanager'],
    }),
  ) as PrometheusYaml;

  it('scrapes one job per lab job from the HTTP service discovery, with the lab’s labels', () => {
    expect(config.scrape_configs.map((job) => job.job_name)).toEqual([...LAB_SCRAPE_JOBS]);
    expect(LAB_SCRAPE_JOBS).toEqual([
      'istiod',
      'istio-proxies',
      'istio-gateway',
      'kube-state-metrics',
      'cadvisor',
      'apiserver',
    ]);
    for (const job of config.scrape_configs) {
      expect(job.honor_labels, job.job_name).toBe(true);
      expect(job.http_sd_configs).toEqual([{ url: SD_URL, refresh_interval: '1s' }]);
      // The SD document's own `job` label selects the job's targets; no static metrics_path
      // hides the SD's __metrics_path__ (a target label wins over the job's default anyway).
      expect(job.relabel_configs).toEqual([
        { source_labels: ['job'], regex: job.job_name, action: 'keep' },
      ]);
      expect(job.metrics_path).toBeUndefined();
    }
  });

  it('evaluates every second by default and loads the given rule files', () => {
    expect(config.global).toEqual({ scrape_interval: '1s', evaluation_interval: '1s' });
    expect(config.rule_files).toEqual(['rules/gameday-mesh.rules.yml']);
    const custom = parse(
      prometheusConfig({ sdUrl: SD_URL, scrapeInterval: '5s', evaluationInterval: '10s' }),
    ) as PrometheusYaml;
    expect(custom.global).toEqual({ scrape_interval: '5s', evaluation_interval: '10s' });
    expect(custom.rule_files).toBeUndefined();
    expect(custom.alerting).toBeUndefined();
  });

  it('sends alerts to every Alertmanager, keeping scheme and path', () => {
    expect(config.alerting?.alertmanagers).toEqual([
      { scheme: 'http', static_configs: [{ targets: ['127.0.0.1:9093'] }] },
      {
        scheme: 'https',
        path_prefix: '/alertmanager',
        static_configs: [{ targets: ['am.example.com'] }],
      },
    ]);
  });

  it('adds static jobs and, for a container, reaches loopback targets through the host alias', () => {
    const inContainer = parse(
      prometheusConfig({
        sdUrl: 'http://host.docker.internal:39091/sd',
        staticJobs: [{ job: 'harness', targets: ['127.0.0.1:4000'], metricsPath: '/m' }],
        loopbackAlias: 'host.docker.internal',
      }),
    ) as PrometheusYaml;
    const harness = inContainer.scrape_configs.find((job) => job.job_name === 'harness');
    expect(harness).toMatchObject({
      metrics_path: '/m',
      static_configs: [{ targets: ['127.0.0.1:4000'] }],
    });
    const rewrite = [
      { source_labels: ['__address__'], target_label: 'instance' },
      {
        source_labels: ['__address__'],
        regex: '(?:127\\.0\\.0\\.1|localhost):(\\d+)',
        target_label: '__address__',
        replacement: 'host.docker.internal:$1',
      },
    ];
    expect(harness?.relabel_configs).toEqual(rewrite);
    const istiod = inContainer.scrape_configs.find((job) => job.job_name === 'istiod');
    expect(istiod?.relabel_configs?.slice(1)).toEqual(rewrite);
    const rewritten = '127.0.0.1:4000'.replace(
      new RegExp(`^${rewrite[1]?.regex ?? ''}$`),
      'host.docker.internal:$1',
    );
    expect(rewritten).toBe('host.docker.internal:4000');
  });

  it('without a discovery URL scrapes only the static jobs', () => {
    const onlyStatic = parse(
      prometheusConfig({ staticJobs: [{ job: 'harness', targets: ['127.0.0.1:4000'] }] }),
    ) as PrometheusYaml;
    expect(onlyStatic.scrape_configs).toEqual([
      {
        job_name: 'harness',
        metrics_path: '/metrics',
        static_configs: [{ targets: ['127.0.0.1:4000'] }],
      },
    ]);
  });
});

interface AlertmanagerYaml {
  route: {
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
  };
  receivers: Array<{
    name: string;
    webhook_configs: Array<{
      url: string;
      send_resolved: boolean;
      http_config?: { authorization: { type: string; credentials: string } };
    }>;
  }>;
}

describe('alertmanagerConfig', () => {
  const WEBHOOK = 'http://127.0.0.1:3000/api/v1/alertmanager/webhook';

  it('routes every alert, one group per alert, to the webhook, resolved ones too', () => {
    const config = parse(alertmanagerConfig({ webhookUrl: WEBHOOK })) as AlertmanagerYaml;
    expect(config.route).toEqual({
      receiver: 'gameday',
      group_by: ['...'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    });
    expect(config.receivers).toEqual([
      { name: 'gameday', webhook_configs: [{ url: WEBHOOK, send_resolved: true }] },
    ]);
  });

  it('sends the webhook secret as a bearer credential and takes other timings', () => {
    const config = parse(
      alertmanagerConfig({
        webhookUrl: WEBHOOK,
        webhookSecret: 's3cret',
        groupWait: '0s',
        groupInterval: '5s',
        repeatInterval: '4h',
      }),
    ) as AlertmanagerYaml;
    expect(config.route).toMatchObject({
      group_wait: '0s',
      group_interval: '5s',
      repeat_interval: '4h',
    });
    expect(config.receivers[0]?.webhook_configs[0]?.http_config).toEqual({
      authorization: { type: 'Bearer', credentials: 's3cret' },
    });
  });
});

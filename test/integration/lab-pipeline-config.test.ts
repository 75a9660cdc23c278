import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerConfig, prometheusConfig } from '../../lab/pipeline/config.js';
import { labRules } from '../../lab/pipeline/rules.js';
import { findOnPath } from '../../lab/services/backend.js';
import { makeTempDir, removeTempDir } from '../../lab/services/cleanup.js';
import { closeServer, listenOnLoopback } from '../support/http.js';
import { getJson, startPrometheus, waitFor, type PrometheusHandle } from '../support/index.js';

interface Outcome {
  code: number;
  output: string;
}

function run(binary: string, args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(binary, args, { cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

async function requireTool(names: string[], aptPackage: string): Promise<string> {
  const found = await findOnPath(names);
  if (found === undefined) {
    throw new Error(
      `${names.join(' or ')} is not on PATH: install it with \`sudo apt-get install -y ${aptPackage}\``,
    );
  }
  return found;
}

describe('pipeline config under the real tools', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir('pipeline-config');
    const rules = labRules(await readFile('deploy/rules/gameday-mesh.rules.yml', 'utf8'));
    await writeFile(join(dir, 'gameday-mesh.rules.yml'), rules);
  });

  afterAll(async () => {
    if (dir !== undefined) await removeTempDir(dir);
  });

  it('promtool check config accepts the lab Prometheus config, local and in a container', async () => {
    const promtool = await requireTool(['promtool'], 'prometheus');
    const variants = {
      'local.yml': { sdUrl: 'http://127.0.0.1:39091/sd' },
      'container.yml': {
        sdUrl: 'http://host.testcontainers.internal:39091/sd',
        loopbackAlias: 'host.testcontainers.internal',
        staticJobs: [{ job: 'harness', targets: ['127.0.0.1:4000'] }],
      },
    };
    for (const [file, options] of Object.entries(variants)) {
      const yaml = prometheusConfig({
        ...options,
        ruleFiles: ['gameday-mesh.rules.yml'],
        alertmanagerUrls: ['http://127.0.0.1:9093'],
      });
      await writeFile(join(dir, file), yaml);
      const { code, output } = await run(promtool, ['check', 'config', file], dir);
      expect(code, output).toBe(0);
      expect(output).toMatch(/SUCCESS: 17 rules found/);
    }
  });

  it('amtool check-config accepts the Alertmanager config, with and without a secret', async () => {
    const amtool = await requireTool(['amtool'], 'prometheus-alertmanager');
    const webhookUrl = 'http://127.0.0.1:3000/api/v1/alertmanager/webhook';
    const variants = {
      'am.yml': alertmanagerConfig({ webhookUrl }),
      'am-secret.yml': alertmanagerConfig({ webhookUrl, webhookSecret: 's3cret' }),
    };
    for (const [file, yaml] of Object.entries(variants)) {
      await writeFile(join(dir, file), yaml);
      const { code, output } = await run(amtool, ['check-config', file], dir);
      expect(code, output).toBe(0);
      expect(output).toMatch(/SUCCESS/);
    }
    const broken = alertmanagerConfig({ webhookUrl: 'not a url' });
    await writeFile(join(dir, 'am-broken.yml'), broken);
    expect((await run(amtool, ['check-config', 'am-broken.yml'], dir)).code).not.toBe(0);
  });
});

interface TargetsResponse {
  data: {
    activeTargets: Array<{
      labels: Record<string, string>;
      scrapePool: string;
      scrapeUrl: string;
      health: string;
    }>;
  };
}

/** A stand-in for the lab's telemetry exporter: an SD document and one path per target. */
async function startFakeExporter(): Promise<{ server: Server; url: string }> {
  let port = 0;
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    if (path === '/sd') {
      const address = `127.0.0.1:${port}`;
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify([
          {
            targets: [address],
            labels: {
              job: 'istiod',
              __metrics_path__: '/metrics/istiod/istio-system/istiod-1',
              namespace: 'istio-system',
              pod: 'istiod-1',
              app: 'istiod',
              istio_io_rev: 'default',
            },
          },
          {
            targets: [address],
            labels: { job: 'kube-state-metrics', __metrics_path__: '/metrics/kube-state-metrics' },
          },
          {
            targets: [address],
            labels: { job: 'istio-gateway', __metrics_path__: '/metrics/gateway/down' },
          },
        ]),
      );
    } else if (path.startsWith('/metrics/istiod/')) {
      response.end('pilot_xds{version="1.24.2"} 3\n');
    } else if (path === '/metrics/kube-state-metrics') {
      // Series describing other objects keep their own namespace (honor_labels).
      response.end(
        'kube_deployment_spec_replicas{namespace="payments",deployment="payments-api"} 2\n',
      );
    } else {
      response.statusCode = 503;
      response.end('component not running\n');
    }
  });
  port = await listenOnLoopback(server);
  return { server, url: `http://127.0.0.1:${port}/sd` };
}

describe('startPrometheus with the lab service discovery', () => {
  let exporter: { server: Server; url: string };
  let prometheus: PrometheusHandle | undefined;

  beforeAll(async () => {
    exporter = await startFakeExporter();
    prometheus = await startPrometheus({ serviceDiscovery: { url: exporter.url } });
  });

  afterAll(async () => {
    await prometheus?.dispose();
    if (exporter !== undefined) await closeServer(exporter.server);
  });

  it('scrapes each SD target in its own job, on its own path, with its target labels', async () => {
    const url = prometheus?.url ?? '';
    const targets = await waitFor(
      async () => {
        const { data } = await getJson<TargetsResponse>(`${url}/api/v1/targets?state=active`);
        const scraped = data.activeTargets.filter((target) => target.health !== 'unknown');
        return scraped.length === 3 ? data.activeTargets : undefined;
      },
      { description: 'Prometheus to scrape the 3 discovered targets', timeoutMs: 30_000 },
    );
    const byJob = Object.fromEntries(targets.map((target) => [target.labels['job'], target]));
    expect(byJob['istiod']).toMatchObject({
      scrapePool: 'istiod',
      health: 'up',
      labels: {
        namespace: 'istio-system',
        pod: 'istiod-1',
        app: 'istiod',
        istio_io_rev: 'default',
      },
    });
    expect(byJob['istiod']?.scrapeUrl).toMatch(/\/metrics\/istiod\/istio-system\/istiod-1$/);
    expect(byJob['kube-state-metrics']).toMatchObject({ scrapePool: 'kube-state-metrics' });
    expect(byJob['istio-gateway']).toMatchObject({ scrapePool: 'istio-gateway', health: 'down' });
    // In a container the address is rewritten, but `instance` stays the discovered one.
    const sdPort = new URL(exporter.url).port;
    for (const target of targets) expect(target.labels['instance']).toBe(`127.0.0.1:${sdPort}`);

    const series = await waitFor(
      async () => {
        const query = encodeURIComponent('kube_deployment_spec_replicas');
        const body = await getJson<{ data: { result: Array<{ metric: Record<string, string> }> } }>(
          `${url}/api/v1/query?query=${query}`,
        );
        return body.data.result[0]?.metric;
      },
      { description: 'the kube-state-metrics series', timeoutMs: 15_000 },
    );
    expect(series).toMatchObject({
      job: 'kube-state-metrics',
      namespace: 'payments',
      deployment: 'payments-api',
    });
  });
});

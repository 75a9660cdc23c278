import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadScenarioDirectory,
  loadScenarioFile,
  loadScenarioText,
  ScenarioError,
  validateManifest,
} from '../../src/scenario/index.js';
import type { LoadResult } from '../../src/scenario/index.js';

const FIXTURES = relative(
  process.cwd(),
  fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url)),
);
const VALID = join(FIXTURES, 'valid');
const INVALID = join(FIXTURES, 'invalid');

const errorLines = (result: LoadResult) => result.errors.map(String);
const names = (result: LoadResult) =>
  result.documents.map((doc) => `${doc.kind}/${doc.metadata.name}`);

/** A small valid scenario, for texts written in the tests. */
const SCENARIO = `apiVersion: gameday/v1
kind: Scenario
metadata: { name: NAME }
spec:
  target: { namespace: istio-system }
  fault: { type: istiod-oom }
  detection: { alerts: [{ alertname: IstiodDown }] }
  traffic: { promql: 'avg(probe_success)' }
`;
const scenarioText = (name: string) => SCENARIO.replace('NAME', name);

describe('valid fixtures', () => {
  it.each([
    ['istiod-oom.yaml', ['Scenario/istiod-oom']],
    ['port-block.yaml', ['Scenario/port-block']],
    ['cert-expiry.yaml', ['Scenario/gateway-cert-expiry']],
    ['deny-policy.yaml', ['Scenario/payments-deny-typo']],
    ['istiod-kill.json', ['Scenario/istiod-kill']],
    ['gameday.yaml', ['GameDay/q3-mesh-gameday']],
    ['mesh-wide/multi.yaml', ['Scenario/mesh-ca-expiry', 'Scenario/injection-webhook-block']],
  ])('%s loads without errors', async (file, expected) => {
    const result = await loadScenarioFile(join(VALID, file));
    expect(errorLines(result)).toEqual([]);
    expect(names(result)).toEqual(expected);
  });

  it('reads every field of the full istiod-oom scenario', async () => {
    const [doc] = (await loadScenarioFile(join(VALID, 'istiod-oom.yaml'))).documents;
    expect(doc).toEqual({
      apiVersion: 'gameday/v1',
      kind: 'Scenario',
      metadata: {
        name: 'istiod-oom',
        description: 'istiod is OOMKilled on every restart; the mesh loses its control plane.',
        runbook:
          '1. kubectl -n istio-system get pods -l app=istiod\n' +
          '2. Look for OOMKilled in the last state of container discovery.\n' +
          '3. Raise the memory limit back to the chart default and watch the rollout.\n',
        labels: { team: 'platform', 'app.kubernetes.io/part-of': 'mesh' },
      },
      spec: {
        target: { context: 'staging', namespace: 'istio-system' },
        fault: {
          type: 'istiod-oom',
          params: {
            mode: 'oom',
            memoryLimit: '32Mi',
            revision: '1-22-3',
            strategy: { maxSurge: 0, maxUnavailable: '100%' },
          },
        },
        detection: {
          alerts: [
            { alertname: 'IstiodDown' },
            {
              alertname: 'KubePodCrashLooping',
              labels: { namespace: 'istio-system' },
              matchers: [
                { name: 'pod', type: '=~', value: 'istiod-.*' },
                { name: 'container', type: '!=', value: 'istio-proxy' },
              ],
            },
          ],
          timeout: '10m',
        },
        traffic: {
          promql:
            'sum(rate(istio_requests_total{reporter="source",response_code!~"4..|5.."}[1m])) / sum(rate(istio_requests_total{reporter="source"}[1m]))',
          interval: '5s',
          successThreshold: 0.99,
          sustainFor: '30s',
        },
        recovery: {
          mode: 'auto',
          holdFor: '2m',
          timeout: '15m',
          signals: [
            {
              name: 'xds-pushes',
              promql: 'sum(rate(pilot_xds_pushes[1m]))',
              recoveredIf: { op: '>', value: 0 },
            },
            { name: 'istiod-up', promql: 'up{job="istiod"} == 1' },
          ],
        },
        objectives: { timeToDetect: '5m', timeToRecover: '15m' },
        guards: [
          {
            name: 'checkout-errors',
            promql:
              'sum(rate(istio_requests_total{destination_service_name="checkout",response_code=~"5.."}[1m]))',
            abortIf: { op: '>', value: 5 },
            for: '30s',
          },
        ],
        schedule: { cron: '0 10 * * 6', timezone: 'Europe/Berlin' },
      },
    });
  });

  it('reads the params of each fault type', async () => {
    const params = async (file: string) =>
      (await loadScenarioFile(join(VALID, file))).documents.map((doc) =>
        doc.kind === 'Scenario' ? doc.spec.fault : undefined,
      );
    expect(await params('port-block.yaml')).toEqual([
      { type: 'port-block', params: { ports: [15012, 15010], restartControlPlane: true } },
    ]);
    expect(await params('cert-expiry.yaml')).toEqual([
      {
        type: 'cert-expiry',
        params: {
          mode: 'gateway',
          gateway: { name: 'shop-gateway', namespace: 'istio-ingress' },
          server: 'https-shop',
          expiredFor: '48h',
        },
      },
    ]);
    expect(await params('deny-policy.yaml')).toEqual([
      {
        type: 'deny-policy',
        params: {
          name: 'allow-only-checkout',
          selector: { matchLabels: { app: 'payments-api' } },
          rule: 'typo-principal',
          principal: 'cluster.local/ns/orders/sa/checkout',
          rehearse: false,
        },
      },
    ]);
    expect(await params('istiod-kill.json')).toEqual([
      { type: 'istiod-oom', params: { mode: 'kill' } },
    ]);
    expect(await params('mesh-wide/multi.yaml')).toEqual([
      { type: 'cert-expiry', params: { mode: 'mesh-ca', expiredFor: '24h' } },
      { type: 'port-block', params: { ports: [15017], restartControlPlane: false } },
    ]);
  });

  it('loaded documents validate again unchanged', async () => {
    const { documents } = await loadScenarioDirectory(VALID);
    expect(documents.length).toBeGreaterThan(0);
    for (const doc of documents) {
      expect(validateManifest(JSON.parse(JSON.stringify(doc)))).toEqual({ ok: true, value: doc });
    }
  });

  it('loads a directory recursively, skipping schema/, and says where each document is', async () => {
    const result = await loadScenarioDirectory(VALID);
    expect(errorLines(result)).toEqual([]);
    expect(names(result)).toEqual([
      'Scenario/gateway-cert-expiry',
      'Scenario/payments-deny-typo',
      'GameDay/q3-mesh-gameday',
      'Scenario/istiod-kill',
      'Scenario/istiod-oom',
      'Scenario/mesh-ca-expiry',
      'Scenario/injection-webhook-block',
      'Scenario/port-block',
    ]);
    expect(result.sources[5]).toEqual({
      file: join(VALID, 'mesh-wide/multi.yaml'),
      line: 3,
      index: 0,
    });
    expect(result.sources[6]).toEqual({
      file: join(VALID, 'mesh-wide/multi.yaml'),
      line: 12,
      index: 1,
    });
  });
});

describe('invalid fixtures: exactly one error each, where the problem is', () => {
  it.each([
    [
      'wrong-fault-type.yaml',
      "7:11 spec.fault.type: 'istiod-crash' is not a known type; expected one of istiod-oom, port-block, cert-expiry, deny-policy",
    ],
    [
      'bad-duration.yaml',
      "9:14 spec.detection.timeout: must be a duration such as 90s, 5m or 1h30m (units: ms, s, m, h, d, w); got '10 minutes'",
    ],
    [
      'unknown-field.yaml',
      "11:9 spec.fault.params.strategy.maxUnavailabel: unknown field 'maxUnavailabel'; did you mean 'maxUnavailable'?",
    ],
    [
      'bad-quantity.yaml',
      "9:20 spec.fault.params.memoryLimit: must be a Kubernetes quantity such as 32Mi or 1Gi (quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'); got '32MB'",
    ],
    [
      'bad-quantity.json',
      "7:65 spec.fault.params.memoryLimit: must be greater than 0; got '-32Mi'",
    ],
    [
      'bad-cron.yaml',
      "9:13 spec.schedule: invalid cron expression '0 25 * * 6' (minute hour day-of-month month day-of-week): Constraint error, got value 25 expected range 0-23",
    ],
    [
      'bad-timezone.yaml',
      "11:15 spec.schedule.timezone: unknown time zone 'Europe/Berlim'; use an IANA zone name such as Europe/Berlin, America/New_York or UTC",
    ],
    ['traffic-both.yaml', '10:5 spec.traffic.http: set exactly one of promql or http, not both'],
    // A missing field is reported at its parent, here the `target:` key.
    ['missing-namespace.yaml', '5:3 spec.target.namespace: is required'],
    [
      'port-outside-enum.yaml',
      '11:11 spec.fault.params.ports[1]: must be one of 15010, 15012, 15017; got 15014',
    ],
    [
      'bad-abort-if.yaml',
      "11:16 spec.guards[0].abortIf: must be a comparison such as '> 0', '>= 0.5', '< 0.9', '== 1' or '!= 0' (quote it in YAML); got 'above 5'",
    ],
    ['unknown-kind.yaml', "2:7 kind: unknown kind 'Experiment'; expected Scenario or GameDay"],
    [
      'bad-api-version.yaml',
      "1:13 apiVersion: unsupported apiVersion 'chaos-mesh.org/v1alpha1'; expected gameday/v1",
    ],
  ])('%s', async (name, expected) => {
    const file = join(INVALID, name);
    const result = await loadScenarioFile(file);
    expect(errorLines(result)).toEqual([`${file}:${expected}`]);
    expect(result.documents).toEqual([]);
  });

  it('gives each error its parts and a plain JSON form', async () => {
    const file = join(INVALID, 'bad-duration.yaml');
    const [error] = (await loadScenarioFile(file)).errors;
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error?.toJSON()).toEqual({
      file,
      line: 9,
      column: 14,
      path: 'spec.detection.timeout',
      message:
        "must be a duration such as 90s, 5m or 1h30m (units: ms, s, m, h, d, w); got '10 minutes'",
    });
  });

  it('refuses an alias bomb quickly, at its first alias', async () => {
    const file = join(INVALID, 'alias-bomb.yaml');
    const started = performance.now();
    const result = await loadScenarioFile(file);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(errorLines(result)).toEqual([
      `${file}:3:8: refusing to expand YAML aliases: more than 100 alias expansions (Excessive alias count indicates a resource exhaustion attack)`,
    ]);
  });

  it('refuses duplicate names across the files of a directory', async () => {
    const dir = join(INVALID, 'duplicate-names');
    const result = await loadScenarioDirectory(dir);
    expect(errorLines(result)).toEqual([
      `${join(dir, 'team/istiod-oom-copy.yaml')}:4:9 metadata.name: duplicate Scenario name 'istiod-oom': already defined at ${join(dir, 'istiod-oom.yaml')}:3:19`,
    ]);
    expect(result.sources.map((source) => source.file)).toEqual([join(dir, 'istiod-oom.yaml')]);
  });
});

describe('loadScenarioText', () => {
  it('reports YAML syntax errors at their own position', () => {
    const text = `apiVersion: gameday/v1
kind: Scenario
metadata: { name: syntax-error }
spec:
  target: { namespace: istio-system
  fault: { type: istiod-oom }
`;
    expect(errorLines(loadScenarioText(text, { file: 'broken.yaml' }))).toEqual([
      'broken.yaml:6:3: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('reports duplicate keys and unknown tags, which are not data', () => {
    expect(errorLines(loadScenarioText('a: 1\na: 2\n', { file: 'f.yaml' }))).toEqual([
      'f.yaml:2:1: Map keys must be unique',
    ]);
    expect(
      errorLines(loadScenarioText('apiVersion: !custom gameday/v1\n', { file: 'f.yaml' })),
    ).toEqual(['f.yaml:1:13: Unresolved tag: !custom']);
  });

  it('hints at quoting when an unquoted comparison breaks the YAML', () => {
    const text = scenarioText('guarded') + '  guards:\n    - promql: x\n      abortIf: >= 1\n';
    expect(errorLines(loadScenarioText(text, { file: 'g.yaml' }))).toEqual([
      "g.yaml:11:17: Block scalar header includes extra characters: >= (comparisons must be quoted in YAML, e.g. abortIf: '> 0')",
      "g.yaml:11:19: Not a YAML token: 1 (comparisons must be quoted in YAML, e.g. abortIf: '> 0')",
    ]);
  });

  it('reads several documents, reporting each error in its own document', () => {
    const text = [
      scenarioText('first'),
      scenarioText('second').replace('namespace: istio-system', 'namespace: Istio'),
      scenarioText('third'),
      '',
    ].join('---\n');
    const result = loadScenarioText(text, { file: 'multi.yaml' });
    expect(names(result)).toEqual(['Scenario/first', 'Scenario/third']);
    expect(result.sources).toEqual([
      { file: 'multi.yaml', line: 1, index: 0 },
      { file: 'multi.yaml', line: 19, index: 2 },
    ]);
    expect(errorLines(result)).toEqual([
      "multi.yaml:14:24 spec.target.namespace: must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit); got 'Istio'",
    ]);
  });

  it('refuses the same name twice in one text', () => {
    const text = [scenarioText('twice'), scenarioText('twice')].join('---\n');
    expect(errorLines(loadScenarioText(text, { file: 't.yaml' }))).toEqual([
      "t.yaml:12:19 metadata.name: duplicate Scenario name 'twice': already defined at t.yaml:3:19",
    ]);
  });

  it('points unknown fields at their key and missing ones at the parent', () => {
    const unknown = scenarioText('x').replace(
      '  fault: { type: istiod-oom }',
      '  fault:\n    type: istiod-oom\n    params:\n      mode: oom\n      memory: 1Gi',
    );
    expect(errorLines(loadScenarioText(unknown, { file: 'u.yaml' }))).toEqual([
      "u.yaml:10:7 spec.fault.params.memory: unknown field 'memory'; expected one of mode, memoryLimit, strategy, revision",
    ]);
    const noSpec = 'apiVersion: gameday/v1\nkind: Scenario\nmetadata: { name: x }\n';
    expect(errorLines(loadScenarioText(noSpec, { file: 'n.yaml' }))).toEqual([
      'n.yaml:1:1 spec: is required',
    ]);
    const noAlertname = scenarioText('x').replace(
      'detection: { alerts: [{ alertname: IstiodDown }] }',
      'detection:\n    alerts:\n      - labels: { severity: page }',
    );
    expect(errorLines(loadScenarioText(noAlertname, { file: 'a.yaml' }))).toEqual([
      'a.yaml:9:9 spec.detection.alerts[0].alertname: is required',
    ]);
  });

  it('follows aliases to the anchored value and accepts a few of them', () => {
    const text = `apiVersion: gameday/v1
kind: GameDay
metadata: { name: anchored }
spec:
  scenarios:
    - apiVersion: gameday/v1
      kind: Scenario
      metadata: { name: one }
      spec: &spec
        target: { namespace: istio-system }
        fault: { type: istiod-oom, params: { memoryLimit: 0 } }
        detection: { alerts: [{ alertname: IstiodDown }] }
        traffic: { promql: x }
    - apiVersion: gameday/v1
      kind: Scenario
      metadata: { name: two }
      spec: *spec
`;
    expect(errorLines(loadScenarioText(text, { file: 'a.yaml' }))).toEqual([
      'a.yaml:11:59 spec.scenarios[0].spec.fault.params.memoryLimit: must be greater than 0; got 0',
      'a.yaml:11:59 spec.scenarios[1].spec.fault.params.memoryLimit: must be greater than 0; got 0',
    ]);
    const fixed = loadScenarioText(text.replace('memoryLimit: 0', 'memoryLimit: 16Mi'), {
      file: 'a.yaml',
    });
    expect(errorLines(fixed)).toEqual([]);
    expect(names(fixed)).toEqual(['GameDay/anchored']);
  });

  it('ignores empty documents and a byte order mark', () => {
    expect(loadScenarioText('', { file: 'e.yaml' })).toEqual({
      documents: [],
      sources: [],
      errors: [],
    });
    const result = loadScenarioText(`\uFEFF# comment\n---\n${scenarioText('bom')}---\n`, {
      file: 'b.yaml',
    });
    expect(errorLines(result)).toEqual([]);
    expect(names(result)).toEqual(['Scenario/bom']);
  });

  it('refuses texts too large to be scenario files', () => {
    const text = `# ${'x'.repeat(1024 * 1024)}\n`;
    expect(errorLines(loadScenarioText(text, { file: 'big.yaml' }))).toEqual([
      'big.yaml:1:1: larger than 1048576 bytes; not a scenario file',
    ]);
  });

  it('prints errors without a path as file:line:column: message', () => {
    const error = new ScenarioError({ file: 'f.yaml', line: 2, column: 3, path: '', message: 'm' });
    expect(String(error)).toBe('f.yaml:2:3: m');
  });
});

describe('loadScenarioDirectory catalogue checks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-scenarios-'));
    await mkdir(join(dir, 'gamedays'));
    await writeFile(join(dir, 'istiod-oom.yaml'), scenarioText('istiod-oom'));
    await writeFile(join(dir, 'notes.txt'), 'not a scenario');
    await writeFile(join(dir, '.hidden.yaml'), 'kind: Nonsense\n');
    await writeFile(
      join(dir, 'gamedays', 'q3.yml'),
      `apiVersion: gameday/v1
kind: GameDay
metadata: { name: q3 }
spec:
  scenarios:
    - istiod-oom
    - port-blok
    - ${scenarioText('istiod-oom').trimEnd().replaceAll('\n', '\n      ')}
`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses references to unknown scenarios and inline scenarios named like catalogue ones', async () => {
    const file = join(dir, 'gamedays', 'q3.yml');
    const result = await loadScenarioDirectory(dir);
    expect(errorLines(result)).toEqual([
      `${file}:7:7 spec.scenarios[1]: unknown scenario 'port-blok'`,
      `${file}:10:25 spec.scenarios[2].metadata.name: inline scenario 'istiod-oom' has the name of the scenario at ${join(dir, 'istiod-oom.yaml')}:3:19; refer to it by name or rename it`,
    ]);
    expect(names(result)).toEqual(['Scenario/istiod-oom']);
  });

  it('rejects when the directory cannot be read', async () => {
    await expect(loadScenarioDirectory(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
    await expect(loadScenarioFile(join(dir, 'missing.yaml'))).rejects.toThrow(/ENOENT/);
  });
});

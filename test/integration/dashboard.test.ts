import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRunHarness, TOKENS, type RunHarness } from '../support/run-harness.js';
import { waitFor } from '../support/index.js';

// SPEC §7's dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core)
// against the real API, worker, lab, Prometheus and Alertmanager: a run started from the
// dashboard is followed live, annotated, reported on, and shows up in the trend charts.

// The page's globals, for the functions evaluated in the browser (the project has no DOM lib).
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
}
interface ChartLike {
  data: { labels: unknown[]; datasets: { label: string; data: (number | null)[] }[] };
  getDatasetMeta(index: number): { data: unknown[] };
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
};
declare const window: {
  __seen: string[];
  __announced: string[];
  __charts: Record<string, ChartLike>;
};
declare const MutationObserver: new (callback: () => void) => {
  observe(target: PageElement, options: { childList: boolean; subtree: boolean }): void;
};

const ARTIFACTS = 'reports/test-artifacts/dashboard';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

let harness: RunHarness;
let browser: Browser;
let page: Page;
/** Script errors and CSP violations ("Refused to …") of the dashboard page: none expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  harness = await startRunHarness();
  await harness.startWorker('dashboard-worker');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.on('console', (message) => {
    // HTTP errors the dashboard handles (the viewer's 403) are not errors of the page.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageErrors.push(message.text());
    }
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
}, 60_000);

const shot = (target: Page, name: string) =>
  target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

async function useToken(value: string) {
  await page.getByLabel('API token').fill(value);
  await page.getByRole('button', { name: 'Use token' }).click();
}

describe('dashboard', () => {
  it('follows a run live, takes a note, opens the report and charts the trends', async () => {
    // A lab-scaled scenario, pasted into the start form (catalogue names are not lab-scaled).
    const scenario = await harness.scenario('bad-deny-policy.yaml');
    scenario.spec.recovery = { ...scenario.spec.recovery, mode: 'auto', holdFor: '15s' };
    await harness.settle(scenario);

    const served = await page.goto(`${harness.apiUrl}/`);
    expect(served?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { name: 'API token needed' }).waitFor();

    // A viewer may look but not start: the API's problem detail is shown.
    await useToken(TOKENS.viewer[0]!);
    await page.getByRole('heading', { name: 'Recent runs' }).waitFor();
    await page.getByText('Or paste a scenario document').click();
    await page.getByLabel('Scenario (JSON)').fill(JSON.stringify(scenario));
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('alert').getByText('needs the operator role').waitFor();

    // Every state the list shows and every announcement of the live region, recorded in the
    // page as it re-renders (a reload would lose them).
    await page.evaluate(() => {
      const seen: string[] = (window.__seen = []);
      const announced: string[] = (window.__announced = []);
      new MutationObserver(() => {
        for (const badge of document.querySelectorAll('tr[data-run] .badge')) {
          const state = badge.dataset['state']!;
          if (seen.at(-1) !== state) seen.push(state);
        }
      }).observe(document.getElementById('main')!, { childList: true, subtree: true });
      const live = document.getElementById('announcer')!;
      new MutationObserver(() => {
        if (live.textContent) announced.push(live.textContent);
      }).observe(live, { childList: true, subtree: true });
    });

    await useToken(TOKENS.operator[0]!);
    await page.getByText('Or paste a scenario document').click();
    await page.getByLabel('Scenario (JSON)').fill(JSON.stringify(scenario));
    await page.getByRole('button', { name: 'Start run' }).click();
    const row = page.locator('tr[data-run]').first();
    await row.waitFor();
    const runId = (await row.getAttribute('data-run'))!;
    await expect(row.textContent()).resolves.toContain('bad-deny-policy');

    // The badge changes without a reload (queued → preflight → … → observing → …), and the
    // live region says so.
    await page.waitForFunction(
      (id) =>
        new Set(window.__seen).size >= 2 && window.__announced.some((a) => a.includes(`${id}: `)),
      runId,
      { timeout: 120_000, polling: 100 },
    );
    const announced = await page.evaluate(() => window.__announced);
    expect(announced.join('\n')).toMatch(/queued/);
    await shot(page, '1-runs-list');

    // The run page: a responder note lands in the timeline.
    await row.getByRole('link', { name: 'bad-deny-policy' }).click();
    await page
      .getByRole('heading', { name: new RegExp(`bad-deny-policy — run ${runId}`) })
      .waitFor();
    await page.getByLabel('Kind').selectOption('acknowledged');
    await page.getByLabel('Your name').fill('Ada');
    await page.getByLabel('Note', { exact: true }).fill('paged by IstioHigh4xxErrorRate');
    await page.getByRole('button', { name: 'Add to timeline' }).click();
    await page
      .locator('tr.event-responder')
      .filter({ hasText: 'paged by IstioHigh4xxErrorRate' })
      .waitFor();
    await expect(page.locator('tr.event-responder').textContent()).resolves.toContain(
      'acknowledged by Ada',
    );

    // It ends, and the page says so by itself.
    const finalBadge = page.locator(
      '.figures .badge:is([data-state=completed],[data-state=failed],[data-state=aborted],[data-state=error])',
    );
    await finalBadge.waitFor({ timeout: 150_000 });
    const record = await harness.store.get(runId);
    expect(await finalBadge.getAttribute('data-state'), record?.summary).toBe('completed');
    expect(record?.result.detection?.status, JSON.stringify(record?.result.detection)).toBe(
      'detected',
    );
    await page.locator('tr.event-alert').first().waitFor();
    await shot(page, '2-run-page');

    // The HTML report: downloaded (it needs the token), then opened on its own.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download HTML report' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`gameday-${runId}.html`);
    const html = await readFile((await download.path())!, 'utf8');
    expect(html).toContain('bad-deny-policy');
    expect(html).toContain('<svg');
    const report = await page.context().newPage();
    await report.setContent(html);
    await report.locator('svg').first().waitFor();
    await shot(report, '3-report');
    await report.close();

    // Trends: the worker indexes the finished run; then the charts have data.
    await waitFor(
      async () => {
        const res = await fetch(`${harness.apiUrl}/api/v1/trends`, {
          headers: { Authorization: `Bearer ${TOKENS.viewer[0]}` },
        });
        const body = (await res.json()) as { scenarios: { scenario: string }[] };
        return body.scenarios.some((s) => s.scenario === 'bad-deny-policy');
      },
      { description: 'the run in the trends index', timeoutMs: 30_000, intervalMs: 250 },
    );
    await page.getByRole('link', { name: 'Trends', exact: true }).click();
    await page.getByRole('heading', { name: 'Trends' }).waitFor();
    await page.waitForFunction(
      () => Number(document.getElementById('chart-mttd')?.dataset['points']) >= 1,
      undefined,
      { timeout: 15_000 },
    );
    const charts = await page.evaluate(() => {
      const all = window.__charts;
      const points = (c: ChartLike) =>
        c.data.datasets.flatMap((d) => d.data.filter((v) => v !== null));
      return {
        mttd: points(all['mttd']!),
        mttr: points(all['mttr']!),
        detection: { labels: all['detection']!.data.labels, values: points(all['detection']!) },
        drawn: all['mttd']!.getDatasetMeta(0).data.length,
        series: all['mttd']!.data.datasets.map((d) => d.label),
      };
    });
    expect(charts.series).toEqual(['bad-deny-policy']);
    expect(charts.mttd.length).toBeGreaterThanOrEqual(1);
    expect(charts.mttd[0]).toBeCloseTo(record!.result.timeToDetect!, 1);
    expect(charts.mttr.length).toBeGreaterThanOrEqual(1);
    expect(charts.drawn).toBeGreaterThanOrEqual(1);
    expect(charts.detection).toEqual({ labels: ['bad-deny-policy'], values: [100] });
    await expect(page.locator('.figures').textContent()).resolves.toContain('100 %');
    await shot(page, '4-trends');

    expect(pageErrors).toEqual([]);
  }, 300_000);
});

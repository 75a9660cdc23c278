// The gameday dashboard (SPEC §7): plain ES module, no framework, no build step. It calls the
// API with the token the user enters (kept in sessionStorage) and renders three hash routes:
// #/runs, #/runs/<id> and #/trends. DOM is built with el(), never from HTML strings.

const POLL_MS = 2_000;
const FINAL = new Set(['completed', 'failed', 'aborted', 'error']);
const RESPONDER_TYPES = ['note', 'acknowledged', 'diagnosed', 'mitigated'];
/** Distinct colours and point shapes, so a series is told apart without its colour. */
const SERIES = [
  ['#1f5fbf', 'circle'],
  ['#c2410c', 'triangle'],
  ['#15803d', 'rect'],
  ['#7e22ce', 'rectRot'],
  ['#a16207', 'star'],
  ['#0e7490', 'crossRot'],
  ['#be123c', 'rectRounded'],
  ['#4d7c0f', 'cross'],
];

const main = document.getElementById('main');
const announcer = document.getElementById('announcer');
const errorBox = document.getElementById('error');
/** Charts by name, for the curious and for the browser test. */
const charts = (window.__charts = {});
let stopPolling = () => {};

// ---- small helpers ----------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

/** A table with column headers (`scope="col"`) over `tbody`; `attrs` and `caption` optional. */
function dataTable(headers, tbody, attrs = {}, caption) {
  return el(
    'table',
    attrs,
    ...(caption ? [caption] : []),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { scope: 'col', text: h })),
      ),
    ),
    tbody,
  );
}

function announce(message) {
  // Cleared first, so the same message twice is still read out.
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = message), 50);
}

function showError(message) {
  errorBox.hidden = !message;
  errorBox.textContent = message ? `Error: ${message}` : '';
}

const token = () => sessionStorage.getItem('gameday.token') ?? '';

class ApiError extends Error {}

/**
 * The API's operations by id, from its OpenAPI document, which the server generates from its
 * contract (src/contract/operations.ts): the dashboard names operations, never paths.
 */
let operations;
async function operation(id) {
  operations ??= fetch('/api/v1/openapi.json')
    .then((res) => {
      if (!res.ok) throw new ApiError(`the API description: ${res.status} ${res.statusText}`);
      return res.json();
    })
    .then((document) => {
      const byId = new Map();
      for (const [path, item] of Object.entries(document.paths)) {
        for (const [method, op] of Object.entries(item)) {
          byId.set(op.operationId, { method: method.toUpperCase(), path });
        }
      }
      return byId;
    })
    .catch((err) => {
      operations = undefined; // try again on the next call
      throw err;
    });
  const found = (await operations).get(id);
  if (!found) throw new ApiError(`this API has no operation ${id}`);
  return found;
}

/** Calls an operation of the API; a problem+json answer becomes an ApiError carrying its detail. */
async function call(id, { params = {}, query = {}, body } = {}) {
  const { method, path } = await operation(id);
  const search = new URLSearchParams(
    Object.entries(query).filter(([, value]) => value !== undefined),
  ).toString();
  const url =
    path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name])) +
    (search ? `?${search}` : '');
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    try {
      const problem = await res.json();
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(detail);
  }
  return res;
}
const callJson = async (id, input) => (await call(id, input)).json();

/** Runs `task` now and every POLL_MS until the route changes or it returns false. */
function poll(task) {
  let timer;
  let active = true;
  const tick = async () => {
    let again = true;
    try {
      again = (await task()) !== false;
      showError('');
    } catch (err) {
      showError(err.message);
    }
    if (active && again) timer = setTimeout(tick, POLL_MS);
  };
  void tick();
  return () => {
    active = false;
    clearTimeout(timer);
  };
}

const seconds = (value) =>
  value === null || value === undefined ? '—' : `${Number(value).toFixed(1)} s`;
const percent = (ratio) =>
  ratio === null || ratio === undefined ? '—' : `${Math.round(ratio * 100)} %`;
const time = (ms) => new Date(ms).toLocaleString();

function badge(state) {
  const kind = FINAL.has(state) ? state : 'active';
  return el('span', { class: `badge badge-${kind}`, 'data-state': state, text: state });
}

function verdictText(verdict) {
  return verdict ?? (verdict === null ? 'not yet' : '—');
}

function needToken() {
  if (token()) return false;
  main.replaceChildren(
    el('h1', { tabindex: -1, text: 'API token needed' }),
    el('p', {
      text: 'Enter an API token above: viewer to look, operator to start runs and add notes.',
    }),
  );
  return true;
}

// ---- #/runs -------------------------------------------------------------------------------

function runsPage() {
  if (needToken()) return;
  const tbody = el('tbody');
  const table = dataTable(
    ['State', 'Scenario', 'Run', 'Target', 'Started', 'Detect', 'Recover', 'Verdict'],
    tbody,
    { class: 'runs', 'aria-describedby': 'runs-caption' },
    el('caption', { id: 'runs-caption', text: 'Newest first; refreshed every 2 seconds.' }),
  );
  main.replaceChildren(
    el('h1', { tabindex: -1, text: 'Runs' }),
    startForm(() => refresh()),
    el(
      'section',
      { 'aria-labelledby': 'runs-heading' },
      el('h2', { id: 'runs-heading', text: 'Recent runs' }),
      table,
    ),
  );

  const seen = new Map();
  const refresh = async () => {
    const { items } = await callJson('listRuns', { query: { limit: 50 } });
    const changes = [];
    for (const run of items) {
      const before = seen.get(run.id);
      if (before !== undefined && before !== run.state) {
        changes.push(`${run.scenario} ${run.id}: ${before} → ${run.state}`);
      }
      seen.set(run.id, run.state);
    }
    if (changes.length > 0) announce(changes.join('. '));
    tbody.replaceChildren(
      ...(items.length === 0
        ? [el('tr', {}, el('td', { colspan: 8, text: 'No runs yet.' }))]
        : items.map((run) =>
            el(
              'tr',
              { 'data-run': run.id },
              el('td', {}, badge(run.state)),
              el('td', {}, el('a', { href: `#/runs/${run.id}`, text: run.scenario })),
              runCell(run),
              el('td', { text: `${run.target.namespace}${run.dryRun ? ' (dry run)' : ''}` }),
              el('td', { text: time(run.createdAt) }),
              el('td', { class: 'num', text: seconds(run.timeToDetect) }),
              el('td', { class: 'num', text: seconds(run.timeToRecover) }),
              el('td', { text: verdictText(run.verdict) }),
            ),
          )),
    );
  };
  stopPolling = poll(refresh);
}

/** The run id; a GameDay's child run also offers the GameDay's combined report. */
function runCell(run) {
  if (!run.parentId) return el('td', { class: 'mono', text: run.id });
  return el(
    'td',
    {},
    el('span', { class: 'mono', text: run.id }),
    ' ',
    el('button', {
      type: 'button',
      class: 'secondary',
      text: 'GameDay report',
      'aria-label': `GameDay ${run.parentId} report (HTML)`,
      onclick: () => downloadReport(run.parentId, 'html', 'gamedays'),
    }),
  );
}

function startForm(onStarted) {
  const select = el('select', { id: 'start-scenario', name: 'scenario' });
  const inline = el('textarea', {
    id: 'start-inline',
    name: 'inline',
    rows: 6,
    spellcheck: 'false',
    'aria-describedby': 'start-inline-help',
  });
  const dryRun = el('input', { id: 'start-dry-run', type: 'checkbox', name: 'dryRun' });
  const meshWide = el('input', { id: 'start-mesh-wide', type: 'checkbox', name: 'allowMeshWide' });
  const button = el('button', { type: 'submit', text: 'Start run' });
  callJson('listScenarios')
    .then(({ items }) =>
      select.replaceChildren(
        ...items.map((s) => el('option', { value: s.name, text: `${s.name} (${s.fault})` })),
      ),
    )
    .catch((err) => showError(err.message));

  const form = el(
    'form',
    {
      class: 'start-form',
      'aria-labelledby': 'start-heading',
      onsubmit: async (event) => {
        event.preventDefault();
        let scenario = select.value;
        if (inline.value.trim() !== '') {
          try {
            scenario = JSON.parse(inline.value);
          } catch (err) {
            showError(`the pasted scenario is not JSON: ${err.message}`);
            inline.focus();
            return;
          }
        }
        button.disabled = true;
        try {
          const res = await call('createRun', {
            body: { scenario, dryRun: dryRun.checked, allowMeshWide: meshWide.checked },
          });
          const run = await res.json();
          showError('');
          announce(`Run ${run.id} of ${run.scenario.metadata.name} queued.`);
          await onStarted();
        } catch (err) {
          showError(err.message);
        } finally {
          button.disabled = false;
        }
      },
    },
    el('h2', { id: 'start-heading', text: 'Start a run' }),
    el('p', { class: 'hint', text: 'Needs an operator token.' }),
    el('div', { class: 'field' }, el('label', { for: 'start-scenario', text: 'Scenario' }), select),
    el(
      'details',
      {},
      el('summary', { text: 'Or paste a scenario document' }),
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'start-inline', text: 'Scenario (JSON)' }),
        inline,
        el('p', {
          id: 'start-inline-help',
          class: 'hint',
          text: 'When filled in, this document is run instead of the selected scenario.',
        }),
      ),
    ),
    el(
      'div',
      { class: 'checks' },
      el('label', {}, dryRun, ' Dry run (send no writes)'),
      el('label', {}, meshWide, ' Allow mesh-wide faults'),
    ),
    button,
  );
  return form;
}

// ---- #/runs/<id> --------------------------------------------------------------------------

function describeEvent(e) {
  switch (e.type) {
    case 'state':
      return [`→ ${e.state}`, e.message];
    case 'finding':
      return [`finding (${e.finding.severity})`, e.finding.message];
    case 'inject':
    case 'revert':
      return [`${e.type} ${e.phase}`, e.message];
    case 'alert':
      return [
        `alert ${e.state}`,
        `${e.alertname}${e.expected ? ' (expected)' : ' (collateral)'} via ${e.source}`,
      ];
    case 'guard':
      return [`guard ${e.name}`, e.message];
    case 'stop':
      return [`stop (${e.reason.kind})`, e.reason.message];
    case 'responder':
      return [`${e.event} by ${e.author}`, e.text];
    default:
      return [e.type, e.message];
  }
}

function runPage(id) {
  if (needToken()) return;
  const heading = el('h1', { tabindex: -1, text: `Run ${id}` });
  const subtitle = el('p', { class: 'subtitle' });
  const figures = el('dl', { class: 'figures' });
  const summary = el('p', { class: 'summary' });
  const abort = el('button', {
    type: 'button',
    class: 'danger',
    text: 'Abort run',
    onclick: async () => {
      if (!window.confirm(`Abort run ${id}? Its fault is reverted at once.`)) return;
      try {
        await call('abortRun', { params: { id }, body: {} });
        announce(`Abort of run ${id} requested.`);
      } catch (err) {
        showError(err.message);
      }
    },
  });
  // Reports need the token, so they are fetched and saved as files. The HTML report is
  // self-contained and opens in any browser (under its own strict CSP, not the dashboard's).
  const reports = [
    ['html', 'HTML report'],
    ['md', 'Markdown'],
    ['json', 'JSON'],
    ['junit', 'JUnit XML'],
  ].map(([format, label], i) =>
    el('button', {
      type: 'button',
      class: i === 0 ? undefined : 'secondary',
      text: `Download ${label}`,
      onclick: () => downloadReport(id, format),
    }),
  );
  const timeline = el('tbody');

  main.replaceChildren(
    el('p', {}, el('a', { href: '#/runs', text: '← All runs' })),
    heading,
    subtitle,
    figures,
    summary,
    el('div', { class: 'actions' }, ...reports, abort),
    el(
      'div',
      { class: 'columns' },
      el(
        'section',
        { 'aria-labelledby': 'timeline-heading', class: 'timeline' },
        el('h2', { id: 'timeline-heading', text: 'Timeline' }),
        dataTable(['Time', 'T+ (s)', 'Event', 'Detail'], timeline),
      ),
      noteForm(id, () => load().catch((err) => showError(err.message))),
    ),
  );

  let lastState;
  const load = async () => {
    const [run, { items }] = await Promise.all([
      callJson('getRun', { params: { id } }),
      callJson('listRunEvents', { params: { id } }),
    ]);
    if (lastState !== undefined && lastState !== run.state) {
      announce(`Run ${id} is now ${run.state}.`);
    }
    lastState = run.state;
    const { result } = run;
    heading.textContent = `${run.scenario.metadata.name} — run ${run.id}`;
    subtitle.textContent = `${run.scenario.spec.fault.type} on ${run.target.namespace}, started ${time(run.createdAt)} by ${run.createdBy}${run.options.dryRun ? ' (dry run)' : ''}`;
    figures.replaceChildren(
      ...[
        ['State', badge(run.state)],
        ['Time to detect', seconds(result.timeToDetect)],
        ['Time to recover', seconds(result.timeToRecover)],
        ['Verdict', verdictText(result.verdict?.outcome ?? null)],
      ].map(([label, value]) =>
        el('div', { class: 'figure' }, el('dt', { text: label }), el('dd', {}, value)),
      ),
    );
    summary.textContent = run.summary ?? run.error ?? '';
    abort.hidden = FINAL.has(run.state);
    const t0 = result.t0 ?? run.createdAt;
    timeline.replaceChildren(
      ...[...items]
        .sort((a, b) => a.at - b.at)
        .map((e) => {
          const [what, detail] = describeEvent(e);
          return el(
            'tr',
            { class: `event event-${e.type}`, 'data-type': e.type },
            el('td', {
              class: 'time',
              text: new Date(e.at).toLocaleTimeString([], { hour12: false }),
            }),
            el('td', { class: 'num', text: ((e.at - t0) / 1000).toFixed(1) }),
            el('td', { text: what }),
            el('td', { text: detail ?? '' }),
          );
        }),
    );
    // Once the run ended nothing changes but notes, and the note form reloads after adding one.
    return !FINAL.has(run.state);
  };
  stopPolling = poll(load);
}

function noteForm(id, onAdded) {
  const type = el(
    'select',
    { id: 'note-type', name: 'type' },
    RESPONDER_TYPES.map((t) => el('option', { value: t, text: t })),
  );
  const author = el('input', {
    id: 'note-author',
    name: 'author',
    required: true,
    maxlength: 100,
    autocomplete: 'name',
    value: sessionStorage.getItem('gameday.author') ?? '',
  });
  const text = el('textarea', { id: 'note-text', name: 'text', rows: 3, maxlength: 5000 });
  return el(
    'form',
    {
      class: 'note-form',
      'aria-labelledby': 'note-heading',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await call('addRunEvent', {
            params: { id },
            body: {
              type: type.value,
              author: author.value.trim(),
              ...(text.value.trim() && { text: text.value.trim() }),
            },
          });
          sessionStorage.setItem('gameday.author', author.value.trim());
          text.value = '';
          showError('');
          announce(`${type.value} by ${author.value.trim()} added to the timeline.`);
          await onAdded();
        } catch (err) {
          showError(err.message);
        }
      },
    },
    el('h2', { id: 'note-heading', text: 'Responder note' }),
    el('div', { class: 'field' }, el('label', { for: 'note-type', text: 'Kind' }), type),
    el('div', { class: 'field' }, el('label', { for: 'note-author', text: 'Your name' }), author),
    el('div', { class: 'field' }, el('label', { for: 'note-text', text: 'Note' }), text),
    el('button', { type: 'submit', text: 'Add to timeline' }),
  );
}

async function downloadReport(id, format, collection = 'runs') {
  try {
    const report = collection === 'gamedays' ? 'getGameDayReport' : 'getRunReport';
    const blob = await (await call(report, { params: { id }, query: { format } })).blob();
    const url = URL.createObjectURL(blob);
    const extension = { md: 'md', json: 'json', junit: 'xml', html: 'html' }[format];
    el('a', { href: url, download: `gameday-${id}.${extension}` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(`Report gameday-${id}.${extension} downloaded.`);
  } catch (err) {
    showError(err.message);
  }
}

// ---- #/trends -----------------------------------------------------------------------------

function chartCanvas(name, label) {
  return el('canvas', { id: `chart-${name}`, role: 'img', 'aria-label': label, 'data-points': 0 });
}

function lineChart(name, canvas, labels, trends, pick, yTitle) {
  const datasets = trends.map((t, i) => {
    const [color, pointStyle] = SERIES[i % SERIES.length];
    return {
      label: t.scenario,
      data: t.buckets.map((b) => pick(b) ?? null),
      borderColor: color,
      backgroundColor: color,
      pointStyle,
      pointRadius: 5,
      spanGaps: true,
    };
  });
  return makeChart(name, canvas, {
    type: 'line',
    data: { labels, datasets },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } } },
  });
}

function makeChart(name, canvas, config) {
  charts[name]?.destroy();
  const points = config.data.datasets.reduce(
    (sum, d) => sum + d.data.filter((v) => v !== null).length,
    0,
  );
  canvas.setAttribute('data-points', String(points));
  charts[name] = new window.Chart(canvas, {
    ...config,
    options: {
      animation: false,
      maintainAspectRatio: false,
      layout: { padding: 8 },
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true } } },
      ...config.options,
    },
  });
  return charts[name];
}

function trendsPage() {
  if (needToken()) return;
  const coverage = el('dl', { class: 'figures' });
  const mttd = chartCanvas('mttd', 'Median time to detect per scenario and week, in seconds');
  const mttr = chartCanvas('mttr', 'Median time to recover per scenario and week, in seconds');
  const detection = chartCanvas('detection', 'Detection rate per scenario, in percent');
  const tbody = el('tbody');
  const chartBox = (id, title, canvas) =>
    el(
      'section',
      { class: 'chart', 'aria-labelledby': `${id}-heading` },
      el('h2', { id: `${id}-heading`, text: title }),
      el('div', { class: 'chart-area' }, canvas),
    );
  main.replaceChildren(
    el('h1', { tabindex: -1, text: 'Trends' }),
    el('p', {
      class: 'subtitle',
      text: 'Last 90 days, by ISO week (UTC). Dry runs are not counted.',
    }),
    coverage,
    el(
      'div',
      { class: 'charts' },
      chartBox('detection', 'Detection coverage: detection rate per scenario', detection),
      chartBox('mttd', 'MTTD (median) per week', mttd),
      chartBox('mttr', 'MTTR (median) per week', mttr),
    ),
    el(
      'section',
      { 'aria-labelledby': 'trend-table-heading' },
      el('h2', { id: 'trend-table-heading', text: 'The same figures as a table' }),
      dataTable(
        ['Scenario', 'Completed runs', 'Detection rate', 'MTTD p50', 'MTTR p50', 'Attainment'],
        tbody,
      ),
    ),
  );

  stopPolling = poll(async () => {
    const trends = await callJson('getTrends', { query: { bucket: 'week' } });
    const runs = trends.scenarios.reduce((sum, s) => sum + s.overall.count, 0);
    coverage.replaceChildren(
      ...[
        ['Detection coverage', percent(trends.coverage)],
        ['Scenarios', String(trends.scenarios.length)],
        ['Completed runs', String(runs)],
      ].map(([label, value]) =>
        el('div', { class: 'figure' }, el('dt', { text: label }), el('dd', { text: value })),
      ),
    );
    const labels = trends.scenarios[0]?.buckets.map((b) => b.bucket) ?? [];
    lineChart('mttd', mttd, labels, trends.scenarios, (b) => b.mttd?.p50, 'seconds');
    lineChart('mttr', mttr, labels, trends.scenarios, (b) => b.mttr?.p50, 'seconds');
    const rates = trends.scenarios.map((s) =>
      s.overall.detectionRate === null ? null : Math.round(s.overall.detectionRate * 100),
    );
    makeChart('detection', detection, {
      type: 'bar',
      data: {
        labels: trends.scenarios.map((s) => s.scenario),
        datasets: [{ label: 'detected (%)', data: rates, backgroundColor: SERIES[0][0] }],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { min: 0, max: 100, title: { display: true, text: 'percent of runs' } } },
      },
    });
    tbody.replaceChildren(
      ...trends.scenarios.map((s) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row', text: s.scenario }),
          el('td', { class: 'num', text: String(s.overall.count) }),
          el('td', { class: 'num', text: percent(s.overall.detectionRate) }),
          el('td', { class: 'num', text: seconds(s.overall.mttd?.p50) }),
          el('td', { class: 'num', text: seconds(s.overall.mttr?.p50) }),
          el('td', { class: 'num', text: percent(s.overall.attainment) }),
        ),
      ),
    );
    // Trends move slowly: one read per visit.
    return false;
  });
}

// ---- routing and the token ----------------------------------------------------------------

function route() {
  stopPolling();
  stopPolling = () => {};
  showError('');
  const hash = location.hash || '#/runs';
  const runMatch = /^#\/runs\/([A-Za-z0-9][A-Za-z0-9._-]{0,62})$/.exec(hash);
  const page = runMatch ? 'runs' : hash === '#/trends' ? 'trends' : 'runs';
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (runMatch) runPage(runMatch[1]);
  else if (page === 'trends') trendsPage();
  else runsPage();
  document.title = `${main.querySelector('h1')?.textContent ?? 'gameday'} · gameday`;
  main.querySelector('h1')?.focus();
}

const tokenInput = document.getElementById('token');
tokenInput.value = token();
document.getElementById('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('gameday.token', tokenInput.value.trim());
  announce('Token saved for this browser tab.');
  route();
});
document.getElementById('token-clear').addEventListener('click', () => {
  sessionStorage.removeItem('gameday.token');
  tokenInput.value = '';
  announce('Token forgotten.');
  route();
});
window.addEventListener('hashchange', route);
route();

/**
 * The scenario catalogue on the command line: `gameday scenarios` lists it, `gameday scenarios
 * <name>` shows one scenario (what it breaks, how it is detected and measured, its runbook) or
 * GameDay; a mistyped name gets the nearest catalogue names.
 */
import { stringify } from 'yaml';
import type { contract, SuccessBody } from '../src/contract/operations.js';
import { didYouMean } from '../src/suggest.js';
import type { ApiClient } from './client.js';
import { optionalPositionals, type Command } from './command.js';
import { ApiError, EXIT, UsageError } from './errors.js';
import { table } from './output.js';

type CatalogueList = SuccessBody<(typeof contract)['listScenarios']>;

/** Every scenario and GameDay name of the catalogue. */
export async function catalogueNames(api: ApiClient): Promise<string[]> {
  const list = await api.call('listScenarios', {});
  return [...list.items.map((s) => s.name), ...list.gameDays.map((g) => g.name)];
}

/**
 * The catalogue document named `name`, or a {@link UsageError} that names the nearest ones
 * (`istiod-oomm` → `istiod-oom`), so a typo is caught before anything is sent.
 */
export async function catalogueEntry(
  api: ApiClient,
  name: string,
): Promise<Record<string, unknown> & { kind: 'Scenario' | 'GameDay' }> {
  try {
    return await api.call('getScenario', { params: { name } });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const hint = didYouMean(name, await catalogueNames(api), { prefixes: true });
  throw new UsageError(
    `no scenario or GameDay named '${name}' in the catalogue${hint || '; gameday scenarios lists them'}`,
  );
}

export const scenariosCommand: Command = {
  name: 'scenarios',
  usage: '[name]',
  summary: 'List the catalogue (scenarios and GameDays), or show one with its runbook.',
  help: `With a name: what the scenario breaks and where, how it is detected and recovered,
its objectives and its runbook (or a GameDay's scenarios). --json prints the document.`,
  async run(ctx) {
    const [name] = optionalPositionals(ctx, ['[name]']);
    const api = ctx.api();
    if (name !== undefined) {
      const document = await catalogueEntry(api, name);
      if (ctx.json) ctx.out.json(document);
      else for (const line of documentLines(document)) ctx.out.line(line);
      return EXIT.ok;
    }
    const list = await api.call('listScenarios', {});
    if (ctx.json) {
      ctx.out.json(list);
      return EXIT.ok;
    }
    for (const line of listLines(list)) ctx.out.line(line);
    return EXIT.ok;
  },
};

function listLines(list: CatalogueList): string[] {
  const lines: string[] = [];
  const rows = [['SCENARIO', 'FAULT', 'NAMESPACE', 'RECOVERY', 'DESCRIPTION']];
  for (const s of list.items) {
    rows.push([s.name, s.fault, s.target.namespace, s.mode, firstSentence(s.description)]);
  }
  lines.push(...table(rows));
  if (list.gameDays.length > 0) {
    lines.push('');
    const gameDays = [['GAMEDAY', 'SCENARIOS']];
    for (const g of list.gameDays) gameDays.push([g.name, g.scenarios.join(', ')]);
    lines.push(...table(gameDays));
  }
  for (const error of list.errors) lines.push(`not loaded: ${error}`);
  lines.push(
    '',
    'gameday scenarios <name> shows one, with its runbook; gameday run <name> starts it.',
  );
  return lines;
}

const firstSentence = (text: string | undefined): string => {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  const end = flat.search(/\.(\s|$)/);
  const sentence = end >= 0 ? flat.slice(0, end + 1) : flat;
  return sentence.length > 90 ? `${sentence.slice(0, 89)}…` : sentence;
};

interface DocumentView {
  kind: 'Scenario' | 'GameDay';
  metadata?: {
    name?: string;
    description?: string;
    runbook?: string;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
}

function documentLines(raw: Record<string, unknown>): string[] {
  const document = raw as unknown as DocumentView;
  const meta = document.metadata ?? {};
  const spec = document.spec ?? {};
  const lines = [`${document.kind} ${meta.name ?? ''}`];
  if (meta.description) lines.push(...indent(meta.description.trim()));
  const labels = Object.entries(meta.labels ?? {});
  if (labels.length > 0) lines.push(`  labels: ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push('');
  if (document.kind === 'GameDay') {
    lines.push(
      ...section('scenarios', spec['scenarios']),
      ...section('participants', spec['participants']),
    );
    for (const key of Object.keys(spec).filter((k) => !['scenarios', 'participants'].includes(k))) {
      lines.push(...section(key, spec[key]));
    }
  } else {
    for (const key of [
      'target',
      'fault',
      'detection',
      'traffic',
      'recovery',
      'objectives',
      'guards',
    ]) {
      if (spec[key] !== undefined) lines.push(...section(key, spec[key]));
    }
  }
  lines.push('runbook:');
  lines.push(...(meta.runbook ? indent(meta.runbook.trimEnd()) : ['  (none)']));
  return lines;
}

/** A part of the spec as YAML, under its name. */
function section(name: string, value: unknown): string[] {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return [];
  return [`${name}:`, ...indent(stringify(value, { lineWidth: 100 }).trimEnd())];
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`);

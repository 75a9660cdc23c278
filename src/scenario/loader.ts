/**
 * Loading scenario files: YAML (or JSON, read by the same parser so that positions work the same),
 * several documents per file, every problem reported as `file:line:column path: message`.
 *
 * I/O failures (a missing file or directory) reject the promise; everything about the content is
 * returned in `errors`, and a document with any error is left out of `documents`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import {
  isAlias,
  isCollection,
  isMap,
  isSeq,
  isScalar,
  LineCounter,
  parseAllDocuments,
  visit,
} from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { Manifest } from './schema.js';
import { formatPath, validateManifest } from './validate.js';
import type { PathSegment, ValidationIssue } from './validate.js';

/** More aliases than this in one document is refused: it is how alias bombs look. */
export const MAX_ALIAS_COUNT = 100;
/** Scenario files are a few kilobytes; anything near this is not one. */
export const MAX_FILE_BYTES = 1024 * 1024;
export const SCENARIO_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** One problem in a scenario file. `line` and `column` count from 1. */
export class ScenarioError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The field, e.g. `spec.fault.params.memoryLimit`; empty for the document as a whole. */
  readonly path: string;
  readonly message: string;

  constructor(init: { file: string; line: number; column: number; path: string; message: string }) {
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.path = init.path;
    this.message = init.message;
  }

  /** `file:line:column path: message`, or `file:line:column: message` without a path. */
  toString(): string {
    const where = `${this.file}:${this.line}:${this.column}`;
    return this.path === ''
      ? `${where}: ${this.message}`
      : `${where} ${this.path}: ${this.message}`;
  }

  toJSON() {
    const { file, line, column, path, message } = this;
    return { file, line, column, path, message };
  }
}

/** Where a loaded document came from. */
export interface DocumentSource {
  file: string;
  /** Position of the document's first line (several documents may share a file). */
  line: number;
  /** Index of the document in its file, counting from 0. */
  index: number;
}

export interface LoadResult {
  /** Valid documents, in file order. */
  documents: Manifest[];
  /** `sources[i]` is where `documents[i]` came from. */
  sources: DocumentSource[];
  errors: ScenarioError[];
}

interface Position {
  line: number;
  column: number;
}

/** A valid document and how to find positions in its source. */
interface Entry {
  manifest: Manifest;
  source: DocumentSource;
  locate: (path: readonly PathSegment[], target?: ValidationIssue['target']) => Position;
}

interface Loaded {
  entries: Entry[];
  errors: ScenarioError[];
}

const keyMatches = (key: unknown, segment: PathSegment): boolean =>
  isScalar(key) ? String(key.value) === String(segment) : false;

/**
 * The offset of the source node at `path`: the value, or its key for `target: 'key'` and for
 * block collections (whose value starts on the next line). A path that leaves the source (a
 * missing field) stops at the nearest existing parent, its key when it has one.
 */
function offsetOf(doc: Document, path: readonly PathSegment[], target: 'value' | 'key'): number {
  let node: unknown = doc.contents;
  let key: YamlNode | undefined;
  const start = (n: unknown): number | undefined =>
    n && typeof n === 'object' && 'range' in n && Array.isArray(n.range)
      ? (n.range[0] as number)
      : undefined;
  const fallback = doc.range?.[0] ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let nextKey: YamlNode | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyMatches(item.key, segment));
      if (pair) {
        next = pair.value ?? pair.key;
        nextKey = isScalar(pair.key) ? pair.key : undefined;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined) return start(key) ?? start(node) ?? fallback;
    node = next;
    key = nextKey;
  }
  if (target === 'key' || (isCollection(node) && !node.flow)) {
    return start(key) ?? start(node) ?? fallback;
  }
  return start(node) ?? start(key) ?? fallback;
}

function hint(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return /:\s*(>=?|<=?|==|!=)\s*[-+.\d]/.test(line)
    ? " (comparisons must be quoted in YAML, e.g. abortIf: '> 0')"
    : '';
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/** Parses and validates every document of one text, without checks across documents. */
function loadText(text: string, file: string): Loaded {
  const errors: ScenarioError[] = [];
  const entries: Entry[] = [];
  const lineCounter = new LineCounter();
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const error = (position: Position, path: string, message: string) =>
    errors.push(new ScenarioError({ file, ...position, path, message }));

  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    error({ line: 1, column: 1 }, '', `larger than ${MAX_FILE_BYTES} bytes; not a scenario file`);
    return { entries, errors };
  }
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const docs = parseAllDocuments(source, { lineCounter, prettyErrors: false, uniqueKeys: true });

  Array.from(docs).forEach((doc, index) => {
    const problems = [...doc.errors, ...doc.warnings];
    for (const problem of problems) {
      error(at(problem.pos[0]), '', problem.message + hint(source, problem.pos[0]));
    }
    if (problems.length > 0) return;

    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (cause) {
      const offset = firstAliasOffset(doc) ?? doc.range?.[0] ?? 0;
      const reason = cause instanceof Error ? cause.message : String(cause);
      error(
        at(offset),
        '',
        `refusing to expand YAML aliases: more than ${MAX_ALIAS_COUNT} alias expansions (${reason})`,
      );
      return;
    }
    if (data === null || data === undefined) return; // an empty document, e.g. after a final ---

    const locate = (path: readonly PathSegment[], target: ValidationIssue['target'] = 'value') =>
      at(offsetOf(doc, path, target));
    const result = validateManifest(data);
    if (!result.ok) {
      for (const issue of result.issues) {
        error(locate(issue.path, issue.target), formatPath(issue.path), issue.message);
      }
      return;
    }
    const start = at(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0);
    entries.push({ manifest: result.value, source: { file, line: start.line, index }, locate });
  });
  return { entries, errors };
}

const where = (entry: Entry, path: PathSegment[]) => {
  const { line, column } = entry.locate(path);
  return `${entry.source.file}:${line}:${column}`;
};

/**
 * Checks across documents: names unique per kind; with `catalogue`, GameDays refer only to
 * scenarios that exist, and their inline scenarios do not take a catalogue scenario's name (trends
 * are kept by scenario name). Returns the entries that passed.
 */
function crossCheck(loaded: Loaded, { catalogue }: { catalogue: boolean }): Loaded {
  const errors = [...loaded.errors];
  const rejected = new Set<Entry>();
  const report = (entry: Entry, path: PathSegment[], message: string) => {
    rejected.add(entry);
    const { line, column } = entry.locate(path);
    errors.push(
      new ScenarioError({ file: entry.source.file, line, column, path: formatPath(path), message }),
    );
  };

  const byName = new Map<string, Entry>();
  for (const entry of loaded.entries) {
    const { kind, metadata } = entry.manifest;
    const key = `${kind}/${metadata.name}`;
    const first = byName.get(key);
    if (first) {
      report(
        entry,
        ['metadata', 'name'],
        `duplicate ${kind} name '${metadata.name}': already defined at ${where(first, ['metadata', 'name'])}`,
      );
    } else byName.set(key, entry);
  }

  if (catalogue) {
    for (const entry of loaded.entries) {
      if (entry.manifest.kind !== 'GameDay') continue;
      entry.manifest.spec.scenarios.forEach((scenario, index) => {
        if (typeof scenario === 'string') {
          if (!byName.has(`Scenario/${scenario}`)) {
            report(entry, ['spec', 'scenarios', index], `unknown scenario '${scenario}'`);
          }
          return;
        }
        const namesake = byName.get(`Scenario/${scenario.metadata.name}`);
        if (namesake) {
          const path = ['spec', 'scenarios', index, 'metadata', 'name'];
          report(
            entry,
            path,
            `inline scenario '${scenario.metadata.name}' has the name of the scenario at ${where(namesake, ['metadata', 'name'])}; refer to it by name or rename it`,
          );
        }
      });
    }
  }
  return { entries: loaded.entries.filter((entry) => !rejected.has(entry)), errors };
}

function result({ entries, errors }: Loaded): LoadResult {
  const sorted = [...errors].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
  return {
    documents: entries.map((entry) => entry.manifest),
    sources: entries.map((entry) => entry.source),
    errors: sorted,
  };
}

/** Loads the documents of one text; `file` names it in errors. */
export function loadScenarioText(text: string, options: { file: string }): LoadResult {
  return result(crossCheck(loadText(text, options.file), { catalogue: false }));
}

/** Loads one scenario file (YAML or JSON). */
export async function loadScenarioFile(path: string): Promise<LoadResult> {
  return loadScenarioText(await readFile(path, 'utf8'), { file: path });
}

/** Scenario files under `dir`, sorted; hidden entries and the top-level `schema/` are skipped. */
async function scenarioFiles(dir: string, relative = ''): Promise<string[]> {
  const entries = await readdir(join(dir, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, relative, entry.name);
    const isDirectory =
      entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path)).isDirectory());
    if (isDirectory) {
      if (relative === '' && entry.name === 'schema') continue;
      if (!entry.isSymbolicLink())
        files.push(...(await scenarioFiles(dir, join(relative, entry.name))));
    } else if (SCENARIO_EXTENSIONS.includes(extname(entry.name).toLowerCase())) {
      files.push(path);
    }
  }
  return files;
}

/**
 * Loads every `*.yaml`, `*.yml` and `*.json` under `dir` (recursively; the generated JSON Schemas
 * in `schema/` are not scenarios) as one catalogue: names must be unique across files, and
 * GameDays may only name scenarios of the catalogue.
 */
export async function loadScenarioDirectory(dir: string): Promise<LoadResult> {
  const loaded: Loaded = { entries: [], errors: [] };
  for (const file of await scenarioFiles(dir)) {
    const { entries, errors } = loadText(await readFile(file, 'utf8'), file);
    loaded.entries.push(...entries);
    loaded.errors.push(...errors);
  }
  return result(crossCheck(loaded, { catalogue: true }));
}

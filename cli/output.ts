/** Where the CLI writes: results to stdout, problems and progress to stderr. */
export interface Output {
  /** One line of the result, on stdout. */
  line(text?: string): void;
  /** The API's JSON (or any value), pretty-printed on stdout. */
  json(value: unknown): void;
  /** Raw text on stdout (reports). */
  raw(text: string): void;
  /** A problem, on stderr. */
  error(text: string): void;
  /** Progress while waiting, on stderr: on a terminal one line rewritten in place. */
  progress(text: string): void;
  /** Ends a progress line that was being rewritten. */
  endProgress(): void;
}

export function processOutput(): Output {
  const tty = process.stderr.isTTY === true;
  let rewriting = false;
  const endProgress = () => {
    if (rewriting) process.stderr.write('\n');
    rewriting = false;
  };
  return {
    line: (text = '') => {
      endProgress();
      process.stdout.write(`${text}\n`);
    },
    json: (value) => {
      endProgress();
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    raw: (text) => {
      endProgress();
      process.stdout.write(text);
    },
    error: (text) => {
      endProgress();
      process.stderr.write(`${text}\n`);
    },
    progress: (text) => {
      if (tty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        rewriting = true;
      } else {
        process.stderr.write(`${text}\n`);
      }
    },
    endProgress,
  };
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

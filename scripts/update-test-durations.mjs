#!/usr/bin/env node
// `npm run test:durations`: after a full `npm test`, copies each file's measured wall-clock time
// (reports/test-artifacts/test-timings.json, written by test/support/summary-reporter.ts) into
// test/file-durations.json, the committed estimates test/support/sequencer.ts starts the
// longest files first by.
import { readFileSync, writeFileSync } from 'node:fs';

const timings = JSON.parse(readFileSync('reports/test-artifacts/test-timings.json', 'utf8'));
const durations = {
  note: 'Wall-clock seconds per test file on the 2-core machine, as `npm test` measured them; test/support/sequencer.ts starts the longest first. Refresh after a full run: npm run test:durations.',
  measuredAt: new Date().toISOString().slice(0, 10),
  totalSeconds: Math.round(timings.totalSeconds),
  files: timings.files.map((f) => ({ file: f.file, seconds: Math.round(f.seconds) })),
};
writeFileSync('test/file-durations.json', `${JSON.stringify(durations, null, 2)}\n`);
console.log(
  `test/file-durations.json: ${durations.files.length} files, ${durations.totalSeconds} s`,
);

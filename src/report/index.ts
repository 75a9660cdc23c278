/** Run reports (SPEC §7): versioned JSON, Markdown, self-contained HTML and JUnit XML. */
import { renderGameDayBody, type GameDayReportInput } from './gameday.js';
import { renderHtml } from './html.js';
import { buildReport } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { REPORT_CONTENT_TYPES, type ReportFormat, type ReportInput } from './types.js';

export { escapeHtml, escapeXml, stripXmlIllegal } from './escape.js';
export { renderChart, chartMarkers, type Marker, type MarkerKind } from './chart.js';
export {
  buildGameDayReport,
  GAMEDAY_REPORT_VERSION,
  gameDayHeadline,
  renderGameDayHtml,
  renderGameDayJunit,
  renderGameDayMarkdown,
  type GameDayReport,
  type GameDayReportInput,
  type GameDayReportRow,
} from './gameday.js';
export { renderHtml, renderHtmlReport } from './html.js';
export { buildReport, objectiveTitle } from './json.js';
export { renderJunit, renderJunitReport } from './junit.js';
export { mdCell, mdText, renderMarkdown, renderMarkdownReport } from './markdown.js';
export * from './types.js';

/** A run's report in one format, with the content type to serve it as. */
export function renderReport(
  input: ReportInput,
  format: ReportFormat,
): { contentType: string; body: string } {
  const contentType = REPORT_CONTENT_TYPES[format];
  switch (format) {
    case 'json':
      return { contentType, body: `${JSON.stringify(buildReport(input), null, 2)}\n` };
    case 'md':
      return { contentType, body: renderMarkdown(input) };
    case 'html':
      return { contentType, body: renderHtml(input) };
    case 'junit':
      return { contentType, body: renderJunit(input) };
  }
}

/** A GameDay's combined report in one format, with the content type to serve it as. */
export function renderGameDayReport(
  input: GameDayReportInput,
  format: ReportFormat,
): { contentType: string; body: string } {
  return { contentType: REPORT_CONTENT_TYPES[format], body: renderGameDayBody(input, format) };
}

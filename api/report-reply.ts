import { REPORT_EXTENSIONS, type ReportFormat } from '../src/report/types.js';

/**
 * A rendered report as a route's reply: its media type, and for the formats people save
 * (Markdown, HTML, JUnit) a file name to save it under.
 */
export function reportReply(
  name: string,
  format: ReportFormat,
  report: { contentType: string; body: string },
) {
  return {
    status: 200 as const,
    body: report.body,
    contentType: report.contentType,
    ...(format !== 'json' && {
      headers: {
        'Content-Disposition': `inline; filename="${name}.${REPORT_EXTENSIONS[format]}"`,
      },
    }),
  };
}

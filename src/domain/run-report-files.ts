import type { RunReport } from './run-report.js';

/**
 * The report as a JSON file: indented for reading, and with `<`, `>`, `&` and
 * the two JavaScript line separators written as `\u` escapes. The data is the
 * same once parsed; the bytes just hold no tag or entity, so a file opened in
 * a browser or pasted into a page cannot start markup.
 */
export function renderRunReportJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** `ENG-42-<run id>.md`: only characters every file system and `Content-Disposition` take as they are. */
export function runReportFileName(report: Pick<RunReport, 'run'>, extension: 'md' | 'json'): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'run';
  return `${safe(report.run.identifier)}-${safe(report.run.id)}.${extension}`;
}

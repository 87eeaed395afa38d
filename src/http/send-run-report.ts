import type { Request, Response } from 'express';
import type { Redaction } from '../config/index.js';
import { runReportFileName, renderRunReportJson } from '../domain/run-report-files.js';
import { renderRunReportMarkdown } from '../domain/run-report-markdown.js';
import type { RunReport } from '../domain/run-report.js';

/** How `GET /api/runs/:id/report` and the run page's downloads send a report. */
export type ReportFormat = 'json' | 'md';

/** `?format=` wins; otherwise a client that asks for Markdown (and not JSON first) gets it. */
export function reportFormatOf(req: Request, format: ReportFormat | undefined): ReportFormat {
  if (format) return format;
  return req.accepts(['application/json', 'text/markdown']) === 'text/markdown' ? 'md' : 'json';
}

/**
 * Sends a report in one format. Redacted before rendering: escaping for
 * Markdown could split a secret the redactor would otherwise recognise. The
 * Markdown is always a download (an attachment named after the ticket and
 * run); the JSON is one when `download` says so.
 */
export function sendRunReport(res: Response, report: RunReport, format: ReportFormat, options: { redaction: Redaction | undefined; download: boolean }): void {
  const clean = options.redaction ? options.redaction.redactValue(report) : report;
  res.setHeader('Cache-Control', 'no-store');
  // Set by hand, quoted: the name holds only [A-Za-z0-9._-], and some clients want the quotes express leaves off a plain token.
  if (format === 'md' || options.download) res.setHeader('Content-Disposition', `attachment; filename="${runReportFileName(clean, format)}"`);
  if (format === 'md') {
    res.type('text/markdown; charset=utf-8').send(renderRunReportMarkdown(clean));
    return;
  }
  res.type('application/json; charset=utf-8').send(renderRunReportJson(clean));
}

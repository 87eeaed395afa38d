import { Router } from 'express';
import { z } from 'zod';
import { readRunReport } from '../../admin/run-reports.js';
import type { Redaction } from '../../config/index.js';
import type { Store } from '../../store/store.js';
import type { ApiRouteModule } from './api-operation.js';
import { reportFormatOf, sendRunReport } from '../send-run-report.js';
import { parseInput } from './parse-input.js';
import { runReportSchema } from './run-report-schema.js';

export interface RunReportRoutesDeps {
  store: Store;
  /** The answers are sent as text, past the `/api` JSON redaction, so they are scrubbed here. */
  redaction: Redaction | undefined;
}

const runParams = z.object({ runId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'runId must be a run id (letters, digits, "-" and "_")') });
const reportQuery = z.object({ format: z.enum(['json', 'md'], { message: 'must be json or md' }).optional() }).strict();

/** The report of a finished run (issue 19 item 8), as JSON or Markdown. */
export function createRunReportRoutes(deps: RunReportRoutesDeps): ApiRouteModule {
  const router = Router();

  router.get('/api/runs/:runId/report', async (req, res) => {
    const { runId } = parseInput(runParams, req.params, 'params');
    const { format } = parseInput(reportQuery, req.query, 'query');
    const report = await readRunReport(deps.store, runId);
    sendRunReport(res, report, reportFormatOf(req, format), { redaction: deps.redaction, download: false });
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/runs/:runId/report',
        summary:
          'The report of a finished run: summary, steps with durations, PR, diff stats, gap analysis, checks, agent, tokens and cost. JSON by default; `format=md` or `Accept: text/markdown` answers text/markdown as an attachment named `<identifier>-<runId>.md`. Diff stats and gap analysis say `reported: false` for runs whose runner did not send them',
        params: { runId: 'The run id' },
        query: reportQuery,
        response: runReportSchema,
        statuses: {
          200: 'the report (JSON, or Markdown when asked for)',
          400: 'runId is not a run id, or format is not json or md',
          401: 'missing or invalid token',
          404: 'no such run',
          409: 'the run has not finished yet; its report is written when it does (the message names its status)',
        },
      },
    ],
  };
}

import { Router } from 'express';
import { readRunReport } from '../../../admin/run-reports.js';
import { sendRunReport, type ReportFormat } from '../../send-run-report.js';
import { page, type AdminContext } from '../admin-context.js';

/**
 * The run page's "Download Markdown" and "Download JSON" links. They sit
 * behind the admin session like every panel, so a link shared with a
 * teammate opens for anyone signed in, and sends anyone else to the login
 * page and back here.
 */
export function createRunReportRoutes(ctx: AdminContext): Router {
  const router = Router();
  for (const format of ['md', 'json'] as const satisfies readonly ReportFormat[]) {
    router.get(
      `/admin/runs/:runId/report.${format}`,
      page(ctx, 'jobs', async (req, res) => {
        const report = await readRunReport(ctx.deps.store, String(req.params.runId));
        sendRunReport(res, report, format, { redaction: ctx.deps.redaction, download: true });
      }),
    );
  }
  return router;
}

import { Router } from 'express';
import { NotFoundError } from '../../../errors/index.js';
import { page, panelContext, sendPage, type AdminContext } from '../admin-context.js';
import { buildBlockers } from '../view-models/blockers-view.js';
import { buildCatalog, buildModels, buildProjects } from '../view-models/configure-views.js';
import { buildAudit, buildCustomizations } from '../view-models/developer-views.js';
import { buildIssues } from '../view-models/issues-view.js';
import { buildOverview } from '../view-models/overview-view.js';
import { buildReaper, buildRunners, buildSecrets, buildSessions, buildSettings, readMode } from '../view-models/platform-views.js';
import { buildPulls, PANEL_PULLS_RUNS } from '../view-models/pulls-view.js';
import { buildRunView } from '../view-models/run-view.js';

/** The read-only pages: each builds its view-model and renders one template. */
export function createPanelRoutes(ctx: AdminContext): Router {
  const router = Router();
  const { store } = ctx.deps;

  router.get('/admin', page(ctx, 'overview', async (req, res) => sendPage(ctx, req, res, 'overview', 'panels/overview', await buildOverview(panelContext(ctx, req)))));
  router.get('/admin/issues', page(ctx, 'issues', async (req, res) => sendPage(ctx, req, res, 'issues', 'panels/issues', buildIssues(await ctx.work.issues(), ctx.deps.clock()))));
  router.get('/admin/pulls', page(ctx, 'pulls', async (req, res) => sendPage(ctx, req, res, 'pulls', 'panels/pulls', buildPulls(await ctx.work.pulls({ maxRuns: PANEL_PULLS_RUNS }), ctx.deps.clock()))));
  router.get(
    '/admin/blockers',
    page(ctx, 'blockers', async (req, res) =>
      sendPage(ctx, req, res, 'blockers', 'panels/blockers', { ...buildBlockers(ctx.work.blockers(), ctx.deps.clock()), paused: (await ctx.deps.budget?.budget.listPaused()) ?? [] }),
    ),
  );
  router.get('/admin/projects', page(ctx, 'projects', async (req, res) => sendPage(ctx, req, res, 'projects', 'panels/projects', await buildProjects(panelContext(ctx, req)))));
  router.get('/admin/pipelines-steps', page(ctx, 'pipelines-steps', async (req, res) => sendPage(ctx, req, res, 'pipelines-steps', 'panels/pipelines-steps', await buildCatalog(ctx.catalog))));
  router.get(
    '/admin/models',
    page(ctx, 'models', async (req, res) => {
      const pc = panelContext(ctx, req);
      sendPage(ctx, req, res, 'models', 'panels/models', await buildModels(pc, (await readMode(pc)).effective));
    }),
  );
  router.get('/admin/runners', page(ctx, 'runners', async (req, res) => sendPage(ctx, req, res, 'runners', 'panels/runners', await buildRunners(panelContext(ctx, req)))));
  router.get('/admin/sessions', page(ctx, 'sessions', async (req, res) => sendPage(ctx, req, res, 'sessions', 'panels/sessions', await buildSessions(panelContext(ctx, req)))));
  router.get('/admin/reaper', page(ctx, 'reaper', async (req, res) => sendPage(ctx, req, res, 'reaper', 'panels/reaper', await buildReaper(panelContext(ctx, req)))));
  router.get('/admin/secrets', page(ctx, 'secrets', async (req, res) => sendPage(ctx, req, res, 'secrets', 'panels/secrets', await buildSecrets(panelContext(ctx, req)))));
  router.get('/admin/settings', page(ctx, 'settings', async (req, res) => sendPage(ctx, req, res, 'settings', 'panels/settings', await buildSettings(panelContext(ctx, req)))));
  router.get('/admin/audit', page(ctx, 'audit', async (req, res) => sendPage(ctx, req, res, 'audit', 'panels/audit', await buildAudit(panelContext(ctx, req)))));
  router.get(
    '/admin/customizations',
    page(ctx, 'customizations', async (req, res) => sendPage(ctx, req, res, 'customizations', 'panels/customizations', await buildCustomizations(panelContext(ctx, req), ctx.catalog))),
  );

  router.get(
    '/admin/runs/:runId',
    page(ctx, 'jobs', async (req, res) => {
      const runId = String(req.params.runId);
      const run = await store.runs.getRun(runId);
      if (!run) throw new NotFoundError(`There is no run ${runId}; it may have been purged from the history.`);
      const [steps, mapping, pipeline] = await Promise.all([store.runs.listSteps(run.id), store.mappings.get(run.mappingKey), ctx.catalog.pipeline(run.phase)]);
      const vm = buildRunView(run, steps, pipeline?.steps ?? [], mapping, ctx.deps.clock(), ctx.deps.runActions !== undefined);
      sendPage(ctx, req, res, 'jobs', 'panels/run', vm, { title: `Run ${run.identifier}` });
    }),
  );

  return router;
}

import { Router, type Request, type Response } from 'express';
import type { Mapping } from '../../../domain/mapping.js';
import { NotFoundError, ValidationError } from '../../../errors/index.js';
import { field, page, redirectWithNotice, sendPage, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { noticeQuery } from '../notices.js';
import { buildStepperView, checkDraft, customFieldChoices, describeJqlCheck, draftSecrets, emptyDraft, firstStepWith, problemsUpTo, readDraft, STEPS } from '../view-models/project-stepper.js';

const TEAM_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** Projects: the 8-step stepper, pause/resume, cap edit, workflow sync, and the Jira helpers the stepper calls. */
export function createProjectRoutes(ctx: AdminContext): Router {
  const router = Router();
  const { store, clock, operations, commands, jira } = ctx.deps;
  const jiraAvailable = Boolean(jira);

  const mappingOr404 = async (req: Request) => {
    const teamKey = String(req.params.teamKey);
    const mapping = TEAM_KEY.test(teamKey) ? await store.mappings.get(teamKey) : undefined;
    if (!mapping) throw new NotFoundError(`There is no project ${teamKey}.`);
    return mapping;
  };

  const showStep = (req: Request, res: Response, step: number, draft = emptyDraft(), problems: { field: string; message: string }[] = [], status = 200) =>
    sendPage(ctx, req, res, 'projects', 'panels/project-stepper', buildStepperView(step, draft, problems, jiraAvailable), {
      title: 'New project',
      status,
      scripts: ['stepper.js'],
      ...(problems.length ? { error: 'Some fields need attention before you can go on.' } : {}),
    });

  router.get('/admin/projects/new', page(ctx, 'projects', (req, res) => showStep(req, res, 1)));

  router.post(
    '/admin/projects/new',
    page(ctx, 'projects', async (req, res) => {
      const draft = readDraft(req.body);
      const current = Math.min(Math.max(Number.parseInt(field(req, 'step'), 10) || 1, 1), STEPS.length);
      const existing = new Set((await store.mappings.list()).map((m) => m.teamKey));
      const check = checkDraft(draft, new Date(clock()).toISOString(), existing);
      if (field(req, 'action') === 'back') return showStep(req, res, Math.max(1, current - 1), draft);
      if (current < STEPS.length) {
        const problems = check.ok ? [] : problemsUpTo(current, check.problems);
        // A problem on this step (or an earlier one, if the form was tampered with) keeps the operator here.
        if (problems.length) return showStep(req, res, Math.min(current, firstStepWith(problems)), draft, problems, 400);
        return showStep(req, res, current + 1, draft);
      }
      if (!check.ok) return showStep(req, res, firstStepWith(check.problems), draft, check.problems, 400);
      const actor = adminState(res).session.id;
      // The stepper already validated with the same schema; saving goes through the API's command.
      await commands.saveMapping(draftInput(check.mapping), actor);
      const failedSecrets: string[] = [];
      for (const secret of draftSecrets(draft)) {
        try {
          if (!operations.secrets.writable) throw new Error('SECRETS_ENCRYPTION_KEY is not set');
          await operations.secrets.setTeam(check.mapping.teamKey, secret.name, secret.value, actor);
        } catch (error) {
          // The project exists now; a secret that could not be stored is reported, not a reason to undo it.
          failedSecrets.push(`${secret.name} (${(error as Error).message})`);
        }
      }
      if (failedSecrets.length) throw new ValidationError(`Project ${check.mapping.teamKey} was created, but these secrets were not stored: ${failedSecrets.join(', ')}. Add them under Secrets.`);
      redirectWithNotice(res, '/admin/projects', noticeQuery('project-created', check.mapping.teamKey));
    }),
  );

  router.post(
    '/admin/projects/:teamKey/pause',
    page(ctx, 'projects', async (req, res) => {
      const mapping = await mappingOr404(req);
      const paused = field(req, 'paused') !== 'false';
      await commands.updateMapping(mapping.teamKey, { paused }, adminState(res).session.id);
      redirectWithNotice(res, '/admin/projects', noticeQuery(paused ? 'paused' : 'resumed', mapping.teamKey));
    }),
  );

  router.post(
    '/admin/projects/:teamKey/cap',
    page(ctx, 'projects', async (req, res) => {
      const mapping = await mappingOr404(req);
      const raw = field(req, 'maxInProgressAiIssues');
      if (!/^\d+$/.test(raw)) throw new ValidationError(`The cap of ${mapping.teamKey} must be a whole number from 1 to 100 (got "${raw}").`, 'maxInProgressAiIssues');
      await commands.updateMapping(mapping.teamKey, { maxInProgressAiIssues: Number(raw) }, adminState(res).session.id);
      redirectWithNotice(res, '/admin/projects', noticeQuery('cap-saved', mapping.teamKey));
    }),
  );

  router.post(
    '/admin/projects/:teamKey/sync-workflows',
    page(ctx, 'projects', async (req, res) => {
      const mapping = await mappingOr404(req);
      if (!operations.workflowSync) throw new ValidationError('Workflow sync is not available in this build.');
      await operations.workflowSync.sync(mapping.teamKey, adminState(res).session.id);
      redirectWithNotice(res, '/admin/projects', noticeQuery('synced', `${mapping.owner}/${mapping.repo}`));
    }),
  );

  // JSON for the stepper's live checks; same session and CSRF guard as the forms.
  router.post('/admin/projects/jira/validate-jql', async (req, res, next) => {
    try {
      const jql = field(req, 'jql');
      if (!jira) return void res.json({ valid: false, message: 'Jira is not configured, so the JQL cannot be checked now; it is checked on the first poll.' });
      if (!jql) return void res.json({ valid: false, message: 'Enter a JQL clause.' });
      res.json(describeJqlCheck(await jira.validateJql(jql)));
    } catch (error) {
      next(error);
    }
  });
  router.get('/admin/projects/jira/fields', async (_req, res, next) => {
    try {
      res.json({ fields: jira ? customFieldChoices(await jira.listFields()) : [] });
    } catch (error) {
      next(error);
    }
  });

  return router;
}

/** A validated mapping back in the input shape the save command parses (timestamps are the store's). */
function draftInput(mapping: Mapping): Record<string, unknown> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...input } = mapping;
  return input;
}

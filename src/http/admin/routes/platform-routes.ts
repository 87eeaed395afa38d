import { Router } from 'express';
import { recordAdminChange } from '../../../admin/record-admin-change.js';
import { SETTING_KEYS } from '../../../admin/runtime-settings.js';
import { RUNNER_MODES, type RunnerMode } from '../../../config/index.js';
import { NotFoundError, ValidationError } from '../../../errors/index.js';
import { SETTINGS } from '../../../services.js';
import { field, page, redirectWithNotice, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { noticeQuery } from '../notices.js';

const MACHINE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Platform and developer actions: sessions, runner mode, settings, secrets, dedup entries. */
export function createPlatformRoutes(ctx: AdminContext): Router {
  const router = Router();
  const { store, clock, operations, config } = ctx.deps;
  const actorOf = (res: Parameters<typeof adminState>[0]) => adminState(res).session.id;

  router.post(
    '/admin/sessions/:machineId/destroy',
    page(ctx, 'sessions', async (req, res) => {
      const machineId = String(req.params.machineId);
      if (!MACHINE_ID.test(machineId)) throw new ValidationError(`"${machineId}" is not a machine id.`);
      if (!operations.destroySession) throw new ValidationError('Sessions cannot be destroyed in this build.');
      const result = await operations.destroySession(machineId, actorOf(res));
      redirectWithNotice(res, '/admin/sessions', noticeQuery('session-destroyed', result.issueReset ?? ''));
    }),
  );

  router.post(
    '/admin/runner-mode',
    page(ctx, 'reaper', async (req, res) => {
      const mode = field(req, 'mode');
      if (!(RUNNER_MODES as readonly string[]).includes(mode)) throw new ValidationError(`Runner mode must be one of ${RUNNER_MODES.join(', ')} (got "${mode}").`, 'mode');
      const before = await store.settings.get<RunnerMode>(SETTINGS.runnerMode);
      await store.settings.set(SETTINGS.runnerMode, mode);
      await recordAdminChange(store.audit, clock, { actor: actorOf(res), action: 'settings.runnerMode', target: 'runnerMode', before: before ?? null, after: mode });
      const back = field(req, 'back') === 'runners' ? '/admin/runners' : '/admin/reaper';
      redirectWithNotice(res, back, noticeQuery(config.runnerModeOverride ? 'runner-mode-locked' : 'runner-mode', mode));
    }),
  );

  router.post(
    '/admin/settings',
    page(ctx, 'settings', async (req, res) => {
      const actor = actorOf(res);
      for (const key of SETTING_KEYS) {
        const value = field(req, key);
        if (value.length > 100 || (value && !/^[a-z0-9][a-z0-9-]*$/.test(value))) throw new ValidationError(`${key} must be lower-case letters, digits and dashes (a Fly app or region name).`, key);
        const before = await store.settings.get<string>(SETTINGS[key]);
        if ((before ?? '') === value) continue;
        if (value) await store.settings.set(SETTINGS[key], value);
        else await store.settings.delete(SETTINGS[key]);
        await recordAdminChange(store.audit, clock, { actor, action: `settings.${key}`, target: key, before: before ?? null, after: value || null });
      }
      redirectWithNotice(res, '/admin/settings', noticeQuery('settings-saved'));
    }),
  );

  router.post(
    '/admin/secrets',
    page(ctx, 'secrets', async (req, res) => {
      const name = field(req, 'name');
      const team = field(req, 'team');
      const value = typeof req.body?.value === 'string' ? (req.body.value as string) : '';
      if (!SECRET_NAME.test(name)) throw new ValidationError('A secret name is UPPER_SNAKE_CASE, starting with a letter.', 'name');
      if (!value) throw new ValidationError(`${name} needs a value.`, 'value');
      if (team) {
        if (!(await store.mappings.get(team))) throw new NotFoundError(`There is no project ${team}.`);
        if (!operations.setTeamSecret) throw new ValidationError('Secrets cannot be changed in this build.');
        await operations.setTeamSecret(team, name, value, actorOf(res));
      } else {
        if (!operations.setGlobalSecret) throw new ValidationError('Secrets cannot be changed in this build.');
        await operations.setGlobalSecret(name, value, actorOf(res));
      }
      redirectWithNotice(res, `/admin/secrets${team ? `?team=${encodeURIComponent(team)}` : ''}`, noticeQuery('secret-set', team ? `${team}/${name}` : name));
    }),
  );

  router.post(
    '/admin/secrets/delete',
    page(ctx, 'secrets', async (req, res) => {
      const name = field(req, 'name');
      const team = field(req, 'team');
      if (!SECRET_NAME.test(name)) throw new ValidationError('A secret name is UPPER_SNAKE_CASE, starting with a letter.', 'name');
      if (team) {
        if (!operations.deleteTeamSecret) throw new ValidationError('Secrets cannot be changed in this build.');
        await operations.deleteTeamSecret(team, name, actorOf(res));
      } else {
        if (!operations.deleteGlobalSecret) throw new ValidationError('Secrets cannot be changed in this build.');
        await operations.deleteGlobalSecret(name, actorOf(res));
      }
      redirectWithNotice(res, `/admin/secrets${team ? `?team=${encodeURIComponent(team)}` : ''}`, noticeQuery('secret-deleted', team ? `${team}/${name}` : name));
    }),
  );

  router.post(
    '/admin/dedup/:issueId/delete',
    page(ctx, 'audit', async (req, res) => {
      const issueId = String(req.params.issueId);
      const entry = await store.dedup.get(issueId);
      if (!entry || !(await store.dedup.delete(issueId))) throw new NotFoundError(`${issueId} is not in the dedup window any more.`);
      await recordAdminChange(store.audit, clock, { actor: actorOf(res), action: 'dedup.delete', target: entry.identifier, before: entry });
      redirectWithNotice(res, '/admin/audit', noticeQuery('dedup-cleared', entry.identifier));
    }),
  );

  return router;
}

import { Router } from 'express';
import { SETTING_KEYS } from '../../../admin/runtime-settings.js';
import { NotFoundError, ValidationError } from '../../../errors/index.js';
import { SETTINGS } from '../../../domain/settings-keys.js';
import { field, page, redirectWithNotice, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { noticeQuery } from '../notices.js';

const MACHINE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Platform and developer actions: sessions, runner mode, settings, secrets, dedup entries. */
export function createPlatformRoutes(ctx: AdminContext): Router {
  const router = Router();
  const { store, config, commands } = ctx.deps;
  const { sessions, secrets } = ctx.deps.operations;
  const actorOf = (res: Parameters<typeof adminState>[0]) => adminState(res).session.id;

  router.post(
    '/admin/sessions/:machineId/destroy',
    page(ctx, 'sessions', async (req, res) => {
      const machineId = String(req.params.machineId);
      if (!MACHINE_ID.test(machineId)) throw new ValidationError(`"${machineId}" is not a machine id.`);
      if (!sessions) throw new ValidationError('Sessions cannot be destroyed in this build.');
      const destroyed = await sessions.destroy(machineId, actorOf(res));
      // The notice names the ticket only when it was actually reset (marker removed or dedup cleared).
      const reset = destroyed.issue && (destroyed.markerRemoved || destroyed.dedupCleared) ? destroyed.issue : '';
      redirectWithNotice(res, '/admin/sessions', noticeQuery('session-destroyed', reset));
    }),
  );

  router.post(
    '/admin/runner-mode',
    page(ctx, 'reaper', async (req, res) => {
      const mode = field(req, 'mode');
      await commands.setRunnerMode({ mode }, actorOf(res));
      const back = field(req, 'back') === 'runners' ? '/admin/runners' : '/admin/reaper';
      redirectWithNotice(res, back, noticeQuery(config.runnerModeOverride ? 'runner-mode-locked' : 'runner-mode', mode));
    }),
  );

  router.post(
    '/admin/settings',
    page(ctx, 'settings', async (req, res) => {
      // Only what the operator changed is sent; an emptied field clears the stored value.
      const changes: Record<string, string | null> = {};
      for (const key of SETTING_KEYS) {
        const value = field(req, key);
        const before = await store.settings.get<string>(SETTINGS[key]);
        if ((before ?? '') !== value) changes[key] = value || null;
      }
      if (Object.keys(changes).length > 0) await commands.updateSettings(changes, actorOf(res));
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
      if (!secrets.writable) throw new ValidationError('Secrets cannot be stored: set SECRETS_ENCRYPTION_KEY to 32 random bytes (openssl rand -base64 32) and restart.', 'value');
      if (team) {
        if (!(await store.mappings.get(team))) throw new NotFoundError(`There is no project ${team}.`);
        await secrets.setTeam(team, name, value, actorOf(res));
      } else {
        await secrets.setGlobal(name, value, actorOf(res));
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
        await secrets.deleteTeam(team, name, actorOf(res));
      } else {
        await secrets.deleteGlobal(name, actorOf(res));
      }
      redirectWithNotice(res, `/admin/secrets${team ? `?team=${encodeURIComponent(team)}` : ''}`, noticeQuery('secret-deleted', team ? `${team}/${name}` : name));
    }),
  );

  router.post(
    '/admin/dedup/:issueId/delete',
    page(ctx, 'audit', async (req, res) => {
      const entry = await commands.deleteDedup(String(req.params.issueId), actorOf(res));
      redirectWithNotice(res, '/admin/audit', noticeQuery('dedup-cleared', entry.identifier));
    }),
  );

  return router;
}

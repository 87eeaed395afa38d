import { Router, type Request, type Response } from 'express';
import type { AdminContext } from '../admin-context.js';
import { buildProgress, buildStepTree, type ProgressView } from '../view-models/run-view.js';

export interface RunProgressEvent {
  progress: ProgressView;
  /** The step tree, rendered by the same partial as the page, so the page and the stream never disagree. */
  stepsHtml: string;
}

const HEARTBEAT_MS = 15_000;
/** With a change feed the poll only makes up for announcements lost (a dropped LISTEN connection). */
const FALLBACK_POLL_MS = 10_000;

/** Tells a stream that a run changed, whichever replica wrote it (`Coordination` on the wiring's side). */
export interface RunChangeFeed {
  /** Calls `onChange` after each change of `runId`; resolves the returned function to stop. */
  subscribe(runId: string, onChange: () => void): () => void;
  /** Calls `onChange` with the id of every run that changes (list pages). */
  subscribeAll?(onChange: (runId: string) => void): () => void;
}

/**
 * Server-sent events for one run page. The store is the source of truth (a
 * runner's progress may land on any replica): the stream reads it when the
 * change feed says the run changed, and every `ssePollMs` besides, and sends
 * only when something changed; it ends when the run does.
 */
export function createRunEventsRoute(ctx: AdminContext): Router {
  const router = Router();
  const { store, clock } = ctx.deps;
  const feed = ctx.deps.runChanges;
  const pollMs = ctx.deps.ssePollMs ?? (feed ? FALLBACK_POLL_MS : 1_000);

  router.get('/admin/runs/:runId/events', async (req: Request, res: Response, next) => {
    try {
      const runId = String(req.params.runId);
      if (!(await store.runs.getRun(runId))) {
        res.status(404).type('text/plain').send(`There is no run ${runId}.`);
        return;
      }
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Connection', 'keep-alive');
      // Proxies (nginx, Fly's edge) must not hold events back in a buffer.
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write('retry: 3000\n\n');

      let closed = false;
      let last = '';
      let lastWrite = clock();
      let timer: NodeJS.Timeout | undefined;
      let ticking = false;
      let again = false;
      let unsubscribe: (() => void) | undefined;
      const stop = () => {
        closed = true;
        if (timer) clearTimeout(timer);
        unsubscribe?.();
      };
      req.on('close', stop);

      const tick = async (): Promise<void> => {
        if (closed) return;
        ticking = true;
        try {
          await look();
        } finally {
          ticking = false;
        }
        if (closed) return;
        if (timer) clearTimeout(timer);
        // A change announced while this look was under way gets a look of its own, at once.
        const delay = again ? 0 : pollMs;
        again = false;
        timer = setTimeout(() => void tick().catch(fail), delay);
      };
      const wake = () => {
        if (closed) return;
        if (ticking) {
          again = true;
          return;
        }
        if (timer) clearTimeout(timer);
        void tick().catch(fail);
      };

      const look = async (): Promise<void> => {
        const run = await store.runs.getRun(runId);
        if (!run) {
          res.end();
          stop();
          return;
        }
        const [steps, pipeline] = await Promise.all([store.runs.listSteps(run.id), ctx.catalog.pipeline(run.phase)]);
        const planned = pipeline?.steps ?? [];
        const now = clock();
        const progress = buildProgress(run, steps, planned, now);
        // The step tree comes from the renderer, which scrubs it; the progress figures are sent as JSON, so scrubbed here.
        const event: RunProgressEvent = {
          progress: ctx.deps.redaction ? ctx.deps.redaction.redactValue(progress) : progress,
          stepsHtml: ctx.renderer.fragment('partials/step-tree', { steps: buildStepTree(steps, planned, now) }),
        };
        const payload = JSON.stringify(event);
        if (payload !== last) {
          res.write(`event: progress\ndata: ${payload}\n\n`);
          last = payload;
          lastWrite = now;
        } else if (now - lastWrite >= HEARTBEAT_MS) {
          // A comment line keeps idle connections from being cut by proxies.
          res.write(': keep-alive\n\n');
          lastWrite = now;
        }
        if (event.progress.terminal) {
          res.write('event: done\ndata: {}\n\n');
          res.end();
          stop();
        }
      };
      const fail = (error: unknown) => {
        // Headers are sent, so no error page: the stream ends and the browser reconnects after `retry`.
        stop();
        ctx.deps.log.warn({ err: error, runId }, 'run event stream stopped');
        res.end();
      };
      unsubscribe = feed?.subscribe(runId, wake);
      await tick().catch(fail);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

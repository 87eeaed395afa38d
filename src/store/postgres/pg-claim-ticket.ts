import { ConflictError, NotFoundError } from '../../errors/index.js';
import type { Run } from '../../domain/run.js';
import { clone, toIso } from '../core/codec.js';
import type { ClaimIntent, ClaimResult } from '../store.js';
import { newRunFromIntent } from '../core/run-records.js';
import { LIVE_RUN } from './migrations.js';
import { abortWith } from './pg-db.js';
import { asStored, type PgContext } from './pg-context.js';
import { RUN_COLUMNS, RUN_PLACEHOLDERS, runValues } from './pg-run-rows.js';

const DEFAULT_DEDUP_KEY_TTL_MS = 7 * 24 * 3600_000;

type Attempt = ClaimResult | { existingId: string } | 'recheck';


/**
 * One claim, in one transaction. The dedup key is taken first (an expired
 * one is taken over), then the run is inserted with `ON CONFLICT … DO
 * NOTHING` against the unique partial index on live runs: the database,
 * not this process, decides which of two replicas wins. A loser reads the
 * live run and rolls back, which also gives its dedup key back.
 */
async function claimOnce(ctx: PgContext, intent: ClaimIntent, id: string): Promise<Attempt> {
  const now = ctx.clock();
  const run = asStored(newRunFromIntent(intent, id, now));
  return ctx.db().transaction(async (tx): Promise<Attempt> => {
    if (intent.dedupKey) {
      const expiresAt = toIso(now + (intent.dedupKeyTtlMs ?? DEFAULT_DEDUP_KEY_TTL_MS));
      const taken = await tx.query(
        `INSERT INTO claim_keys (key, run_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
         WHERE claim_keys.expires_at <= $4`,
        [intent.dedupKey, id, expiresAt, toIso(now)],
      );
      if (taken.rowCount === 0) {
        const held = await tx.query<{ run_id: string }>('SELECT run_id FROM claim_keys WHERE key = $1', [intent.dedupKey]);
        return { existingId: held.rows[0]!.run_id };
      }
    }
    const tombstone = await tx.query('SELECT 1 FROM deleted_runs WHERE id = $1', [id]);
    if ((tombstone.rowCount ?? 0) > 0) throw new ConflictError(`run ${id} was deleted; its id is not handed out again`);
    const inserted = await tx
      .query(
        `INSERT INTO runs (${RUN_COLUMNS}) VALUES (${RUN_PLACEHOLDERS})
         ON CONFLICT (issue_id, phase, is_shadow) WHERE ${LIVE_RUN} DO NOTHING`,
        runValues(run),
      )
      .catch((error: unknown) => {
        // The primary key: a caller-chosen id that is not new.
        if ((error as { constraint?: unknown }).constraint === 'runs_pkey') throw new ConflictError(`run ${id} already exists`);
        throw error;
      });
    if (inserted.rowCount === 1) return { claimed: true, run: clone(run) };
    const live = await tx.query<{ run: Run }>(`SELECT run FROM runs WHERE issue_id = $1 AND phase = $2 AND is_shadow = $3 AND ${LIVE_RUN}`, [
      intent.issueId,
      intent.phase,
      intent.shadowOf !== undefined,
    ]);
    // The run that held the slot finished between the insert and this read: go round again.
    if (!live.rows[0]) return abortWith('recheck');
    return abortWith({ claimed: false, existing: live.rows[0].run });
  });
}

export async function claimTicket(ctx: PgContext, intent: ClaimIntent, getRun: (id: string) => Promise<Run | undefined>): Promise<ClaimResult> {
  const id = intent.id ?? ctx.newId();
  for (;;) {
    const outcome = await claimOnce(ctx, intent, id);
    if (outcome === 'recheck') continue;
    if (!('existingId' in outcome)) return outcome;
    const existing = await getRun(outcome.existingId);
    if (!existing) throw new NotFoundError(`run ${outcome.existingId} for dedup key is missing`);
    return { claimed: false, existing };
  }
}

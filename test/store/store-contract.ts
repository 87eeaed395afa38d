import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors/index.js';
import type { Schedule } from '../../src/domain/schedule.js';
import type { Store } from '../../src/store/store.js';
import { StoreNotOpenError } from '../../src/store/store.js';

export { ManualClock, T0, intent, mapping, type StoreFactory } from './store-fixtures.js';
import { ManualClock, T0, intent, mapping, type StoreFactory } from './store-fixtures.js';

const HOUR = 3600_000;

/** The behaviour every Store implementation must show. */
export function describeStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let clock: ManualClock;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock();
      store = await makeStore(clock.read);
      expect(store.isOpen).toBe(false);
      await store.open();
      expect(store.isOpen).toBe(true);
    });

    afterEach(async () => {
      await store.close();
      expect(store.isOpen).toBe(false);
    });

    it('refuses calls when closed', async () => {
      await store.close();
      await expect(store.settings.get('x')).rejects.toBeInstanceOf(StoreNotOpenError);
      await store.open();
    });

    describe('mappings', () => {
      it('upserts, gets, lists sorted and deletes', async () => {
        await store.mappings.upsert(mapping('OPS'));
        await store.mappings.upsert(mapping('ENG', { jira: { jql: 'project = X', repoFieldValue: 'x' } }));
        await store.mappings.upsert(mapping('OPS', { paused: true }));
        expect((await store.mappings.get('OPS'))?.paused).toBe(true);
        expect((await store.mappings.get('ENG'))?.jira?.jql).toBe('project = X');
        expect((await store.mappings.list()).map((m) => m.teamKey)).toEqual(['ENG', 'OPS']);
        expect(await store.mappings.delete('OPS')).toBe(true);
        expect(await store.mappings.delete('OPS')).toBe(false);
        expect(await store.mappings.get('OPS')).toBeUndefined();
      });

      it('returns copies that callers cannot use to change stored state', async () => {
        await store.mappings.upsert(mapping('ENG'));
        const got = await store.mappings.get('ENG');
        got!.extraEnv['FOO'] = 'changed';
        expect((await store.mappings.get('ENG'))?.extraEnv['FOO']).toBe('bar');
      });
    });

    describe('runs', () => {
      it('claims a ticket once per (issue, phase) while a run is live', async () => {
        const first = await store.runs.claimTicket(intent());
        expect(first.claimed).toBe(true);
        if (!first.claimed) return;
        expect(first.run).toMatchObject({ status: 'claimed', attempt: 1, dispatchNumber: 1, identifier: 'ENG-1' });
        const second = await store.runs.claimTicket(intent());
        expect(second).toEqual({ claimed: false, existing: first.run });
        const otherPhase = await store.runs.claimTicket(intent({ phase: 'plan', status: 'queued' }));
        expect(otherPhase.claimed && otherPhase.run.status).toBe('queued');
        await store.runs.updateRun(first.run.id, { status: 'failed', failureReason: 'boom' });
        expect((await store.runs.claimTicket(intent({ triggerSource: 'retry', attempt: 2 }))).claimed).toBe(true);
      });

      it('gives a shadow leg its own live slot beside the primary', async () => {
        const primary = await store.runs.claimTicket(intent());
        expect(primary.claimed).toBe(true);
        if (!primary.claimed) return;
        const shadow = await store.runs.claimTicket(intent({ backend: 'fly-machines', shadowOf: primary.run.id }));
        expect(shadow.claimed && shadow.run.shadowOf).toBe(primary.run.id);
        expect((await store.runs.claimTicket(intent({ backend: 'fly-machines', shadowOf: primary.run.id }))).claimed).toBe(false);
        expect((await store.runs.claimTicket(intent())).claimed).toBe(false);
      });

      it('lets exactly one of 50 concurrent claims win', async () => {
        const results = await Promise.all(Array.from({ length: 50 }, () => store.runs.claimTicket(intent())));
        const winners = results.filter((r) => r.claimed);
        expect(winners).toHaveLength(1);
        const winnerId = winners[0]!.claimed ? winners[0]!.run.id : '';
        for (const r of results) if (!r.claimed) expect(r.existing.id).toBe(winnerId);
        expect(await store.runs.listActiveRuns()).toHaveLength(1);
      });

      it('honours a caller dedup key even after the first run finished', async () => {
        const key = 'gap-fill:comment-77';
        const a = await store.runs.claimTicket(intent({ phase: 'gap-fill', dedupKey: key, triggerSource: 'pr-comment' }));
        expect(a.claimed).toBe(true);
        if (!a.claimed) return;
        await store.runs.updateRun(a.run.id, { status: 'succeeded' });
        const b = await store.runs.claimTicket(intent({ phase: 'gap-fill', dedupKey: key, triggerSource: 'pr-comment' }));
        expect(b.claimed).toBe(false);
        if (!b.claimed) expect(b.existing).toMatchObject({ id: a.run.id, status: 'succeeded' });
        const c = await store.runs.claimTicket(intent({ phase: 'gap-fill', dedupKey: 'gap-fill:comment-78' }));
        expect(c.claimed).toBe(true);
        clock.advance(8 * 24 * HOUR);
        await store.dedup.purgeExpired();
        if (c.claimed) await store.runs.updateRun(c.run.id, { status: 'cancelled' });
        expect((await store.runs.claimTicket(intent({ phase: 'gap-fill', dedupKey: key }))).claimed).toBe(true);
      });

      it('updates with compare-and-set and enforces the state machine', async () => {
        const claim = await store.runs.claimTicket(intent());
        if (!claim.claimed) throw new Error('not claimed');
        const id = claim.run.id;
        clock.advance(1000);
        const dispatched = await store.runs.updateRun(
          id,
          { status: 'launching', upstreamId: 'wf-1' },
          { expectStatus: 'claimed', expectAttempt: 1 },
        );
        expect(dispatched).toMatchObject({ status: 'launching', upstreamId: 'wf-1', updatedAt: new Date(T0 + 1000).toISOString() });
        await expect(store.runs.updateRun(id, { status: 'running' }, { expectStatus: 'claimed' })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.runs.updateRun(id, { status: 'running' }, { expectAttempt: 2 })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.runs.updateRun(id, { status: 'queued' })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.runs.updateRun('nope', { summary: 'x' })).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.runs.getRun(id))?.status).toBe('launching');
        const done = await store.runs.updateRun(id, { status: 'succeeded', prNumber: 4, tokens: { input: 1, output: 2 } }, {
          expectStatus: ['launching', 'running'],
        });
        expect(done.finishedAt).toBe(new Date(T0 + 1000).toISOString());
        await expect(store.runs.updateRun(id, { summary: 'late' })).rejects.toBeInstanceOf(ConflictError);
        expect(await store.runs.getRun(id)).toEqual(done);
        expect(await store.runs.listActiveRuns()).toEqual([]);
      });

      it('lets concurrent compare-and-set updates succeed exactly once', async () => {
        const claim = await store.runs.claimTicket(intent());
        if (!claim.claimed) throw new Error('not claimed');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.runs.updateRun(claim.run.id, { status: 'launching', upstreamId: `u${i}` }, { expectStatus: 'claimed' }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(9);
      });

      it('hands each due queued run to one dispatcher under its lease, oldest due first, and keeps the claim lease', async () => {
        const lease = { holder: 'replica-a', until: new Date(T0 + 60_000).toISOString() };
        const claimed = await store.runs.claimTicket(intent({ issueId: 'i-live', dispatchLease: lease }));
        if (!claimed.claimed) throw new Error('not claimed');
        expect(claimed.run.dispatchLease).toEqual(lease);
        // Three queued runs: due in 5 s, due in 1 s, and one not due for an hour.
        const queue = async (issueId: string, inMs: number) => {
          const c = await store.runs.claimTicket(intent({ issueId, status: 'queued', deadlineAt: new Date(T0 + HOUR).toISOString() }));
          if (!c.claimed) throw new Error('not claimed');
          return store.runs.updateRun(c.run.id, { retryAt: new Date(T0 + inMs).toISOString() });
        };
        const later = await queue('i-later', 5_000);
        const sooner = await queue('i-sooner', 1_000);
        await queue('i-hour', HOUR);
        expect(await store.runs.leaseDueRuns({ holder: 'replica-b', leaseMs: 30_000, limit: 10 })).toEqual([]);
        clock.advance(10_000);
        // 20 dispatchers at once: each due run goes to exactly one of them.
        const takes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.runs.leaseDueRuns({ holder: `replica-${i}`, leaseMs: 30_000, limit: 1 })));
        const taken = takes.flat();
        expect(taken.map((r) => r.id).sort()).toEqual([later.id, sooner.id].sort());
        for (const run of taken) {
          expect(run).toMatchObject({ status: 'claimed', dispatchLease: { until: new Date(T0 + 40_000).toISOString() } });
          expect(run.deadlineAt).toBeUndefined();
          expect(await store.runs.getRun(run.id)).toEqual(run);
        }
        expect(new Set(taken.map((r) => r.dispatchLease?.holder)).size).toBe(2);
        // Oldest due first, and only up to the limit.
        const again = await Promise.all([queue('i-a', 0), queue('i-b', -1_000)]);
        expect((await store.runs.leaseDueRuns({ holder: 'x', leaseMs: 1, limit: 1 })).map((r) => r.id)).toEqual([again[1].id]);
        expect((await store.runs.listActiveRuns({ status: 'queued' })).map((r) => r.issueId).sort()).toEqual(['i-a', 'i-hour']);
      });

      it('upserts steps by (runId, id), caps log excerpts, keeps them after the run ends', async () => {
        const claim = await store.runs.claimTicket(intent());
        if (!claim.claimed) throw new Error('not claimed');
        const runId = claim.run.id;
        await store.runs.upsertStep({ runId, id: 'checkout', type: 'git', status: 'running', startedAt: 'a' });
        await store.runs.upsertStep({ runId, id: 'agent', type: 'agent', status: 'running', parentId: 'checkout' });
        const big = 'é'.repeat(10_000) + 'END';
        const merged = await store.runs.upsertStep({ runId, id: 'checkout', type: 'git', status: 'passed', logExcerpt: big, output: { sha: 'abc' } });
        expect(merged.startedAt).toBe('a');
        expect(Buffer.byteLength(merged.logExcerpt ?? '')).toBeLessThanOrEqual(8192);
        expect(merged.logExcerpt?.endsWith('END')).toBe(true);
        expect(merged.logExcerpt?.startsWith('é')).toBe(true);
        expect((await store.runs.listSteps(runId)).map((s) => [s.id, s.status])).toEqual([
          ['checkout', 'passed'],
          ['agent', 'running'],
        ]);
        await store.runs.updateRun(runId, { status: 'failed', failedStep: 'agent' });
        expect((await store.runs.listSteps(runId)).map((s) => s.id)).toEqual(['checkout', 'agent']);
        expect((await store.runs.listSteps(runId))[0]?.output).toEqual({ sha: 'abc' });
        await expect(store.runs.upsertStep({ runId, id: 'x', type: 't', status: 'passed' })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.runs.upsertStep({ runId: 'ghost', id: 'x', type: 't', status: 'passed' })).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.runs.listSteps('ghost')).toEqual([]);
      });

      it('pages newest first over live and finished runs with filters', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 25; i++) {
          clock.advance(60_000);
          const c = await store.runs.claimTicket(
            intent({
              issueId: `i${i}`,
              identifier: `ENG-${i}`,
              mappingKey: i % 2 ? 'ENG' : 'OPS',
              backend: i % 3 ? 'github-actions' : 'fly-machines',
              triggerSource: i % 5 ? 'poll' : 'linear-webhook',
            }),
          );
          if (!c.claimed) throw new Error('not claimed');
          ids.push(c.run.id);
          if (i % 4 === 0) await store.runs.updateRun(c.run.id, { status: 'failed' });
          else if (i % 4 === 1) await store.runs.updateRun(c.run.id, { status: 'succeeded' });
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.runs.listRuns({ limit: 7, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(7);
          seen.push(...page.items.map((r) => r.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual([...ids].reverse());
        const failed = await store.runs.listRuns({ status: 'failed', limit: 100 });
        expect(failed.items.map((r) => r.issueId)).toEqual(['i24', 'i20', 'i16', 'i12', 'i8', 'i4', 'i0']);
        expect(failed.nextCursor).toBeUndefined();
        const engFly = await store.runs.listRuns({ mappingKey: 'ENG', backend: 'fly-machines' });
        expect(engFly.items.map((r) => r.issueId)).toEqual(['i21', 'i15', 'i9', 'i3']);
        expect((await store.runs.listRuns({ triggerSource: 'linear-webhook' })).items).toHaveLength(5);
        expect((await store.runs.listRuns({ issueId: 'i7' })).items.map((r) => r.id)).toEqual([ids[7]]);
        const from = new Date(T0 + 60_000 * 5).toISOString();
        const to = T0 + 60_000 * 10;
        const ranged = await store.runs.listRuns({ from, to });
        expect(ranged.items.map((r) => r.issueId)).toEqual(['i8', 'i7', 'i6', 'i5', 'i4']);
        expect(await store.runs.countRuns({ from, to, status: ['failed', 'succeeded'] })).toBe(3);
        expect(await store.runs.countRuns()).toBe(25);
        await expect(store.runs.listRuns({ cursor: 'garbage!' })).rejects.toBeInstanceOf(ValidationError);
      });

      it('filters and counts by owner and agent runtime over live and finished runs, also after a reopen', async () => {
        const made: Record<string, string> = {};
        const specs = [
          { key: 'ann-live', owner: 'ann@example.test', agentRuntime: 'claude-code' },
          { key: 'ann-done', owner: 'ann@example.test', agentRuntime: 'codex', end: 'succeeded' as const },
          { key: 'bob-done', owner: 'bob@example.test', agentRuntime: 'claude-code', end: 'failed' as const },
          { key: 'fallback', owner: 'ai-implement@localhost', ownerFallback: true, agentRuntime: 'claude-code' },
          { key: 'no-owner', end: 'cancelled' as const },
        ];
        for (const spec of specs) {
          clock.advance(60_000);
          const c = await store.runs.claimTicket(
            intent({ issueId: spec.key, ...(spec.owner ? { owner: spec.owner } : {}), ...(spec.ownerFallback ? { ownerFallback: true } : {}), ...(spec.agentRuntime ? { agentRuntime: spec.agentRuntime } : {}) }),
          );
          if (!c.claimed) throw new Error('not claimed');
          made[spec.key] = c.run.id;
          if (spec.end) await store.runs.updateRun(c.run.id, { status: spec.end });
        }
        // The runner reports the runtime that did the work (a fallback): the filter follows it.
        const bob = made['bob-done']!;
        expect((await store.runs.getRun(bob))?.agent).toEqual({ runtime: 'claude-code' });
        const fallbackRun = await store.runs.getRun(made['fallback']!);
        expect(fallbackRun).toMatchObject({ owner: 'ai-implement@localhost', ownerFallback: true });
        expect((await store.runs.getRun(made['ann-live']!))?.ownerFallback).toBeUndefined();
        await store.runs.updateRun(made['ann-live']!, { agent: { runtime: 'opencode', fallbackFrom: ['claude-code'] } });

        const check = async () => {
          const issues = async (q: Parameters<typeof store.runs.listRuns>[0]) => (await store.runs.listRuns(q)).items.map((r) => r.issueId);
          expect(await issues({ owner: 'ann@example.test' })).toEqual(['ann-done', 'ann-live']);
          expect(await issues({ owner: 'ann@example.test', status: 'succeeded' })).toEqual(['ann-done']);
          expect(await issues({ runtime: 'claude-code' })).toEqual(['fallback', 'bob-done']);
          expect(await issues({ runtime: 'opencode' })).toEqual(['ann-live']);
          expect(await issues({ runtime: 'claude-code', owner: 'bob@example.test', status: 'failed' })).toEqual(['bob-done']);
          expect(await issues({ owner: 'nobody@example.test' })).toEqual([]);
          expect(await store.runs.countRuns({ owner: 'ann@example.test' })).toBe(2);
          expect(await store.runs.countRuns({ runtime: 'codex' })).toBe(1);
          expect(await store.runs.countRuns({ runtime: 'claude-code', status: ['failed', 'succeeded'] })).toBe(1);
          const paged = await store.runs.listRuns({ owner: 'ann@example.test', limit: 1 });
          expect(paged.items.map((r) => r.issueId)).toEqual(['ann-done']);
          expect((await store.runs.listRuns({ owner: 'ann@example.test', limit: 1, cursor: paged.nextCursor! })).items.map((r) => r.issueId)).toEqual(['ann-live']);
        };
        await check();
        await store.close();
        await store.open();
        await check();
      });

      it('deletes a finished run and its steps from every read, refuses a live one, and keeps it deleted across a reopen', async () => {
        clock.now = T0 - HOUR;
        const kept = await store.runs.claimTicket(intent({ issueId: 'kept', mappingKey: 'ENG' }));
        clock.advance(1);
        const gone = await store.runs.claimTicket(intent({ issueId: 'gone', mappingKey: 'ENG' }));
        clock.advance(1);
        const live = await store.runs.claimTicket(intent({ issueId: 'live', mappingKey: 'ENG' }));
        if (!kept.claimed || !gone.claimed || !live.claimed) throw new Error('not claimed');
        await store.runs.upsertStep({ runId: gone.run.id, id: 'agent', type: 'agent', status: 'failed' });
        await store.runs.updateRun(kept.run.id, { status: 'failed' });
        await store.runs.updateRun(gone.run.id, { status: 'failed' });
        clock.now = T0;
        const before = await store.runs.stats();

        await expect(store.runs.deleteRun(live.run.id)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.runs.getRun(live.run.id)).toMatchObject({ status: 'claimed' });
        expect(await store.runs.deleteRun(gone.run.id)).toBe(true);
        expect(await store.runs.deleteRun(gone.run.id)).toBe(false);
        expect(await store.runs.deleteRun('never-was')).toBe(false);

        const check = async () => {
          expect(await store.runs.getRun(gone.run.id)).toBeUndefined();
          expect(await store.runs.listSteps(gone.run.id)).toEqual([]);
          expect((await store.runs.listRuns({ limit: 100 })).items.map((r) => r.issueId)).toEqual(['live', 'kept']);
          expect((await store.runs.listRuns({ issueId: 'gone' })).items).toEqual([]);
          expect(await store.runs.countRuns()).toBe(2);
          expect(await store.runs.countRuns({ status: 'failed', mappingKey: 'ENG' })).toBe(1);
          expect(await store.runs.countRuns({ issueId: 'gone' })).toBe(0);
          const stats = await store.runs.stats();
          expect(stats.createdLast24h).toBe(before.createdLast24h - 1);
          expect(stats.failedLast24h).toBe(before.failedLast24h - 1);
          expect(await store.runs.getRun(kept.run.id)).toMatchObject({ status: 'failed' });
        };
        await check();
        await store.close();
        await store.open();
        await check();
        // Its id is not handed out again.
        await expect(store.runs.claimTicket(intent({ id: gone.run.id, issueId: 'again' }))).rejects.toBeInstanceOf(ConflictError);
      });

      it('releases the request key of a deleted run: the same request may start a run again', async () => {
        const first = await store.runs.claimTicket(intent({ issueId: 'pr-7', phase: 'gap-fill', dedupKey: 'gap-fill:comment-1' }));
        if (!first.claimed) throw new Error('not claimed');
        await store.runs.updateRun(first.run.id, { status: 'failed' });
        // While the run exists, the key answers with it.
        expect(await store.runs.claimTicket(intent({ issueId: 'pr-7', phase: 'gap-fill', dedupKey: 'gap-fill:comment-1' }))).toMatchObject({ claimed: false, existing: { id: first.run.id } });
        expect(await store.runs.deleteRun(first.run.id)).toBe(true);
        const again = await store.runs.claimTicket(intent({ issueId: 'pr-7', phase: 'gap-fill', dedupKey: 'gap-fill:comment-1' }));
        expect(again).toMatchObject({ claimed: true });
        if (again.claimed) expect(again.run.id).not.toBe(first.run.id);
      });

      it('lists active runs with filters, oldest first', async () => {
        await store.runs.claimTicket(intent({ issueId: 'a', mappingKey: 'ENG' }));
        clock.advance(1);
        await store.runs.claimTicket(intent({ issueId: 'b', mappingKey: 'OPS', status: 'queued' }));
        clock.advance(1);
        await store.runs.claimTicket(intent({ issueId: 'c', mappingKey: 'ENG', phase: 'plan' }));
        expect((await store.runs.listActiveRuns()).map((r) => r.issueId)).toEqual(['a', 'b', 'c']);
        expect((await store.runs.listActiveRuns({ mappingKey: 'ENG' })).map((r) => r.issueId)).toEqual(['a', 'c']);
        expect((await store.runs.listActiveRuns({ status: 'queued' })).map((r) => r.issueId)).toEqual(['b']);
        expect((await store.runs.listActiveRuns({ phase: 'plan' })).map((r) => r.issueId)).toEqual(['c']);
      });

      it('aggregates created and failed runs per hour over the last 24 h', async () => {
        clock.now = T0 - 30 * HOUR;
        const old = await store.runs.claimTicket(intent({ issueId: 'old' }));
        clock.now = T0 - 2 * HOUR;
        if (old.claimed) await store.runs.updateRun(old.run.id, { status: 'failed' });
        clock.now = T0 - 2 * HOUR;
        await store.runs.claimTicket(intent({ issueId: 'x1', mappingKey: 'ENG' }));
        const x2 = await store.runs.claimTicket(intent({ issueId: 'x2', mappingKey: 'OPS' }));
        clock.now = T0;
        if (x2.claimed) await store.runs.updateRun(x2.run.id, { status: 'failed' });
        await store.runs.claimTicket(intent({ issueId: 'x3', mappingKey: 'ENG' }));
        const stats = await store.runs.stats();
        expect(stats.hours).toHaveLength(24);
        expect(stats.hours[23]!.start).toBe('2025-03-01T12:00:00.000Z');
        expect(stats.hours[21]).toMatchObject({ created: 2, failed: 1 });
        expect(stats.hours[23]).toMatchObject({ created: 1, failed: 1 });
        expect(stats.createdLast24h).toBe(3);
        expect(stats.failedLast24h).toBe(2);
        expect(stats.activeCount).toBe(2);
        expect(stats.inProgressByMapping).toEqual({ ENG: 2 });
      });
    });

    describe('dedup ledger', () => {
      it('expires entries, lists active ones and purges', async () => {
        const entry = (ms: number) => ({
          identifier: 'ENG-1',
          runId: 'r1',
          dispatchedAt: new Date(T0).toISOString(),
          expiresAt: new Date(T0 + ms).toISOString(),
        });
        await store.dedup.put('a', entry(HOUR));
        await store.dedup.put('b', entry(3 * HOUR));
        expect((await store.dedup.get('a'))?.issueId).toBe('a');
        clock.advance(2 * HOUR);
        expect(await store.dedup.get('a')).toBeUndefined();
        expect((await store.dedup.listActive()).map((e) => e.issueId)).toEqual(['b']);
        expect(await store.dedup.purgeExpired()).toBe(1);
        expect(await store.dedup.purgeExpired()).toBe(0);
        expect(await store.dedup.delete('b')).toBe(true);
        expect(await store.dedup.get('b')).toBeUndefined();
      });
    });

    describe('webhook inbox', () => {
      const delivery = (id: string, offsetMs = 0) => ({
        id,
        source: 'github' as const,
        event: 'issue_comment',
        payload: { n: id },
        receivedAt: new Date(T0 + offsetMs).toISOString(),
      });

      it('deduplicates by delivery id, also after completion', async () => {
        expect(await store.inbox.enqueueDelivery(delivery('d1'))).toEqual({ inserted: true });
        expect(await store.inbox.enqueueDelivery(delivery('d1'))).toEqual({ inserted: false });
        const [leased] = await store.inbox.leaseDeliveries(10, 30_000);
        await store.inbox.completeDelivery(leased!.id);
        expect(await store.inbox.enqueueDelivery(delivery('d1'))).toEqual({ inserted: false });
        expect((await store.inbox.getDelivery('d1'))?.payload).toBeUndefined();
      });

      it('leases oldest first and does not hand a lease out twice until it expires', async () => {
        await store.inbox.enqueueDelivery(delivery('late', 10));
        await store.inbox.enqueueDelivery(delivery('early', 0));
        await store.inbox.enqueueDelivery(delivery('third', 20));
        const first = await store.inbox.leaseDeliveries(2, 30_000);
        expect(first.map((d) => d.id)).toEqual(['early', 'late']);
        expect(first[0]).toMatchObject({ status: 'leased', attempts: 1, payload: { n: 'early' } });
        expect((await store.inbox.leaseDeliveries(10, 30_000)).map((d) => d.id)).toEqual(['third']);
        expect(await store.inbox.leaseDeliveries(10, 30_000)).toEqual([]);
        clock.advance(30_001);
        const again = await store.inbox.leaseDeliveries(10, 30_000);
        expect(again.map((d) => [d.id, d.attempts])).toEqual([
          ['early', 2],
          ['late', 2],
          ['third', 2],
        ]);
      });

      it('leases concurrently without handing one delivery to two workers', async () => {
        for (let i = 0; i < 20; i++) await store.inbox.enqueueDelivery(delivery(`c${i}`, i));
        const batches = await Promise.all(Array.from({ length: 8 }, () => store.inbox.leaseDeliveries(5, 60_000)));
        const ids = batches.flat().map((d) => d.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });

      it('retries a failed delivery after retryAt and can give up', async () => {
        await store.inbox.enqueueDelivery(delivery('f1'));
        await store.inbox.leaseDeliveries(1, 1000);
        await store.inbox.failDelivery('f1', 'handler threw', T0 + 5000);
        expect(await store.inbox.leaseDeliveries(1, 1000)).toEqual([]);
        clock.advance(5000);
        const [retry] = await store.inbox.leaseDeliveries(1, 1000);
        expect(retry).toMatchObject({ id: 'f1', attempts: 2, lastError: 'handler threw' });
        await store.inbox.failDelivery('f1', 'still broken', null);
        expect((await store.inbox.getDelivery('f1'))?.status).toBe('dead');
        clock.advance(HOUR);
        expect(await store.inbox.leaseDeliveries(1, 1000)).toEqual([]);
        await expect(store.inbox.completeDelivery('unknown')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('counts the backlog, and leases retries and expired leases in receive order among fresh deliveries', async () => {
        for (const [id, at] of [['r0', 0], ['f1', 10], ['r2', 20], ['f3', 30], ['x4', 40]] as const) await store.inbox.enqueueDelivery(delivery(id, at));
        expect(await store.inbox.backlog()).toEqual({ pending: 5, leased: 0 });
        // r0 and r2 fail and wait 5 s; x4 is leased by a worker that then dies.
        expect((await store.inbox.leaseDeliveries(1, 60_000)).map((d) => d.id)).toEqual(['r0']);
        await store.inbox.failDelivery('r0', 'flaky', T0 + 5_000);
        expect((await store.inbox.leaseDeliveries(1, 60_000)).map((d) => d.id)).toEqual(['f1']);
        await store.inbox.completeDelivery('f1');
        expect((await store.inbox.leaseDeliveries(1, 60_000)).map((d) => d.id)).toEqual(['r2']);
        await store.inbox.failDelivery('r2', 'flaky', T0 + 5_000);
        expect((await store.inbox.leaseDeliveries(1, 1_000)).map((d) => d.id)).toEqual(['f3']);
        expect((await store.inbox.leaseDeliveries(1, 1_000)).map((d) => d.id)).toEqual(['x4']);
        expect(await store.inbox.backlog()).toEqual({ pending: 2, leased: 2 });
        expect(await store.inbox.leaseDeliveries(10, 60_000)).toEqual([]);
        await store.inbox.enqueueDelivery(delivery('n5', 50));
        clock.advance(5_000);
        // Due now: the two retries, the two expired leases and the new one, oldest received first.
        expect((await store.inbox.leaseDeliveries(3, 60_000)).map((d) => d.id)).toEqual(['r0', 'r2', 'f3']);
        expect((await store.inbox.leaseDeliveries(10, 60_000)).map((d) => d.id)).toEqual(['x4', 'n5']);
        expect(await store.inbox.backlog()).toEqual({ pending: 0, leased: 5 });
        for (const id of ['r0', 'r2', 'f3', 'x4', 'n5']) await store.inbox.completeDelivery(id);
        expect(await store.inbox.backlog()).toEqual({ pending: 0, leased: 0 });
      });

      it('keeps completed deliveries for at least 8 days, then moves them out', async () => {
        await store.inbox.enqueueDelivery(delivery('old'));
        await store.inbox.enqueueDelivery(delivery('pending'));
        await store.inbox.completeDelivery('old');
        clock.advance(8 * 24 * HOUR - 1);
        expect(await store.inbox.purgeExpired()).toBe(0);
        clock.advance(2);
        expect(await store.inbox.purgeExpired()).toBe(1);
        expect(await store.inbox.getDelivery('old')).toBeUndefined();
        expect(await store.inbox.getDelivery('pending')).toBeDefined();
      });
    });

    describe('runner tokens', () => {
      it('consumes a jti exactly once under 1,000 concurrent calls', async () => {
        const results = await Promise.all(
          Array.from({ length: 1000 }, () => store.tokens.consumeTokenJti('jti-1', T0 + HOUR)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.tokens.consumeTokenJti('jti-1', T0 + HOUR)).toBe(false);
        expect(await store.tokens.consumeTokenJti('jti-2', new Date(T0 + HOUR).toISOString())).toBe(true);
      });

      it('purges expired jtis only', async () => {
        await store.tokens.consumeTokenJti('short', T0 + 1000);
        await store.tokens.consumeTokenJti('long', T0 + HOUR);
        clock.advance(2000);
        expect(await store.tokens.purgeExpired()).toBe(1);
        expect(await store.tokens.consumeTokenJti('long', T0 + HOUR)).toBe(false);
      });
    });

    describe('schedules', () => {
      const schedule = (id: string, overrides: Partial<Schedule> = {}): Schedule => ({
        id,
        name: `Nightly ${id}`,
        mappingKey: 'ENG',
        cadence: { kind: 'daily', at: '09:00', timeZone: 'Europe/Berlin' },
        instructions: 'Update the dependencies',
        runAs: 'ops@example.com',
        enabled: true,
        nextRunAt: '2026-01-02T08:00:00.000Z',
        createdAt: new Date(clock.read()).toISOString(),
        updatedAt: new Date(clock.read()).toISOString(),
        ...overrides,
      });

      it('creates, lists oldest first, gets, updates and deletes', async () => {
        await store.schedules.create(schedule('s-b'));
        clock.advance(1000);
        await store.schedules.create(schedule('s-a', { createdAt: new Date(clock.read()).toISOString(), cadence: { kind: 'weekly', days: ['mon', 'fri'], at: '06:30' } }));
        expect((await store.schedules.list()).map((s) => s.id)).toEqual(['s-b', 's-a']);
        expect((await store.schedules.get('s-a'))?.cadence).toEqual({ kind: 'weekly', days: ['mon', 'fri'], at: '06:30' });
        await expect(store.schedules.create(schedule('s-a'))).rejects.toBeInstanceOf(ConflictError);

        clock.advance(5000);
        const disabled = await store.schedules.update('s-b', { enabled: false, lastOutcome: { kind: 'deferred', at: '2026-01-02T08:00:00.000Z', reason: 'run r1 is still running' } });
        expect(disabled).toMatchObject({ enabled: false, lastOutcome: { kind: 'deferred', reason: 'run r1 is still running' }, updatedAt: new Date(clock.read()).toISOString() });
        expect(await store.schedules.get('s-b')).toEqual(disabled);
        expect(await store.schedules.update('nope', { enabled: false })).toBeUndefined();

        expect(await store.schedules.delete('s-b')).toBe(true);
        expect(await store.schedules.delete('s-b')).toBe(false);
        expect(await store.schedules.get('s-b')).toBeUndefined();
      });

      it('claims a fire once: the compare-and-set on nextRunAt refuses the second claimant and changes nothing', async () => {
        await store.schedules.create(schedule('s-1'));
        const claim = { nextRunAt: '2026-01-03T08:00:00.000Z', lastRunAt: '2026-01-02T08:00:05.000Z' };
        const results = await Promise.allSettled([
          store.schedules.update('s-1', claim, '2026-01-02T08:00:00.000Z'),
          store.schedules.update('s-1', claim, '2026-01-02T08:00:00.000Z'),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = results.find((r) => r.status === 'rejected');
        expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
        expect(await store.schedules.get('s-1')).toMatchObject(claim);
      });

      it('removes a field patched to undefined, and matches an absent next fire with null', async () => {
        await store.schedules.create(schedule('s-once', { cadence: { kind: 'once', at: '2026-01-02T08:00:00.000Z' } }));
        const fired = await store.schedules.update('s-once', { nextRunAt: undefined, lastRunAt: '2026-01-02T08:00:00.000Z' }, '2026-01-02T08:00:00.000Z');
        expect(fired && 'nextRunAt' in fired).toBe(false);
        expect((await store.schedules.get('s-once'))?.nextRunAt).toBeUndefined();
        await expect(store.schedules.update('s-once', { enabled: false }, '2026-01-02T08:00:00.000Z')).rejects.toBeInstanceOf(ConflictError);
        expect((await store.schedules.update('s-once', { enabled: false }, null))?.enabled).toBe(false);
      });
    });

    describe('settings', () => {
      it('stores JSON values by key', async () => {
        expect(await store.settings.get('runnerMode')).toBeUndefined();
        await store.settings.set('runnerMode', 'shadow');
        await store.settings.set('installationRepos', [{ owner: 'acme', repo: 'web' }]);
        expect(await store.settings.get('runnerMode')).toBe('shadow');
        expect(await store.settings.get('installationRepos')).toEqual([{ owner: 'acme', repo: 'web' }]);
        expect(Object.keys(await store.settings.all()).sort()).toEqual(['installationRepos', 'runnerMode']);
        expect(await store.settings.delete('runnerMode')).toBe(true);
        await expect(store.settings.set('x', undefined)).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('admin sessions', () => {
      const session = (id: string, fp: string, ttl = HOUR) => ({
        id,
        tokenHash: `hash-${id}`,
        codeFingerprint: fp,
        createdAt: new Date(T0).toISOString(),
        expiresAt: new Date(T0 + ttl).toISOString(),
      });

      it('finds live sessions by token hash and revokes them', async () => {
        await store.adminSessions.create(session('s1', 'fpA'));
        await store.adminSessions.create(session('s2', 'fpB'));
        await store.adminSessions.create(session('s3', 'fpB', 10));
        await expect(store.adminSessions.create(session('s1', 'fpA'))).rejects.toBeInstanceOf(ConflictError);
        expect((await store.adminSessions.getByTokenHash('hash-s1'))?.id).toBe('s1');
        clock.advance(20);
        expect(await store.adminSessions.getByTokenHash('hash-s3')).toBeUndefined();
        expect(await store.adminSessions.purgeExpired()).toBe(1);
        expect(await store.adminSessions.revokeWhereFingerprintNot('fpB')).toBe(1);
        expect(await store.adminSessions.getByTokenHash('hash-s1')).toBeUndefined();
        expect(await store.adminSessions.revoke('s2')).toBe(true);
        expect(await store.adminSessions.revoke('s2')).toBe(false);
        await store.adminSessions.create(session('s4', 'fpC'));
        expect(await store.adminSessions.revokeAll()).toBe(1);
      });
    });

    describe('reaper actions', () => {
      it('lists recent actions newest first and summarises by rule', async () => {
        const act = (i: number, rule: string, mode: 'dry-run' | 'destroyed') => ({
          at: new Date(T0 + i * 1000).toISOString(),
          rule,
          machineId: `m${i}`,
          tenant: 'acme',
          issue: `ENG-${i}`,
          ageSeconds: 100 + i,
          mode,
        });
        await store.reaper.append(act(0, 'orphan', 'dry-run'));
        await store.reaper.append(act(1, 'overtime', 'destroyed'));
        await store.reaper.append(act(2, 'orphan', 'destroyed'));
        expect((await store.reaper.listRecent(2)).map((a) => a.machineId)).toEqual(['m2', 'm1']);
        expect(await store.reaper.summary(T0 + 500)).toEqual({
          total: 2,
          byRule: { overtime: 1, orphan: 1 },
          destroyed: 2,
          dryRun: 0,
        });
        expect((await store.reaper.summary(T0)).total).toBe(3);
      });
    });

    describe('audit events', () => {
      it('pages newest first with a cursor and filters', async () => {
        for (let i = 0; i < 12; i++) {
          await store.audit.append({
            at: new Date(T0 + i).toISOString(),
            actor: i % 3 ? 'admin' : 'system',
            action: 'mapping.update',
            target: `m${i}`,
            before: { i },
            after: { i: i + 1 },
          });
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.audit.list({ limit: 5, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((e) => e.target));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `m${11 - i}`));
        const system = await store.audit.list({ actor: 'system' });
        expect(system.items.map((e) => e.target)).toEqual(['m9', 'm6', 'm3', 'm0']);
        expect(system.items[0]?.after).toEqual({ i: 10 });
      });
    });
  });
}

import { pathToFileURL } from 'node:url';
import { runSoak, type SoakReport } from '../test/support/soak/run-soak.js';
import { formatTable, type BenchTable } from './bench-table.js';

const DEFAULT_MINUTES = 60;
const DEFAULT_RATE = 10;

/**
 * An hour of tickets compressed by the injected clock: 10 Linear tickets a
 * simulated minute through the whole orchestrator (GitHub Actions backend),
 * the runner side played over the real protocol with seeded faults, then
 * every ticket audited. `SOAK_MINUTES`, `SOAK_RATE` and `SOAK_SEED` scale it.
 *
 * "Ended" means one PR (a succeeded run, that PR alone on GitHub, the ticket
 * `pr-ready`) or one clear failure (the newest run failed with a reason and
 * the ticket is `needs-human` after the retry limit). Retries wait 2 and then
 * 8 minutes, so the soak runs on after the last ticket — up to 60 simulated
 * minutes — until nothing is live and nothing waits out a back-off; a ticket
 * still in back-off when that runs out is counted apart, not as ended.
 */
export async function runSoakBench(): Promise<BenchTable[]> {
  const minutes = positiveInt('SOAK_MINUTES', DEFAULT_MINUTES);
  const rate = positiveInt('SOAK_RATE', DEFAULT_RATE);
  const seed = positiveInt('SOAK_SEED', 1);
  const report = await runSoak({
    minutes,
    ticketsPerMinute: rate,
    seed,
    onMinute: process.env.SOAK_VERBOSE ? (line) => console.error(line) : undefined,
  });
  return [outcomeTable(report), faultTable(report), resourceTable(report)];
}

function outcomeTable(r: SoakReport): BenchTable {
  const { audit, runners } = r;
  const must = (n: number) => (n === 0 ? 'met' : 'MISSED');
  const problems = audit.verdicts.filter((v) => v.end === 'lost' || v.end === 'backoff' || v.stale);
  return {
    title: `soak: ${r.options.minutes} simulated min × ${r.options.ticketsPerMinute} tickets/min (seed ${r.options.seed}), GitHub Actions backend, runner faults`,
    columns: ['measure', 'value', 'target', 'verdict'],
    rows: [
      ['tickets', r.tickets, '-', '-'],
      ['ended with one PR', audit.counts.pr, '-', '-'],
      ['ended with one clear failure (needs-human)', audit.counts.failed, '-', '-'],
      ['still in retry back-off', audit.counts.backoff, 0, must(audit.counts.backoff)],
      ['lost', audit.counts.lost, 0, must(audit.counts.lost)],
      ['duplicate PRs', audit.duplicatePrs, 0, must(audit.duplicatePrs)],
      ['ended but reading as in progress', audit.staleTickets, 0, must(audit.staleTickets)],
      ['runs left live', audit.liveRuns, 0, must(audit.liveRuns)],
      ['minutes with two live runs for one ticket', r.doubleLiveMinutes, 0, must(r.doubleLiveMinutes)],
      ['jobs not the run’s recorded one (duplicate dispatch)', runners.refusedAtStart, 0, must(runners.refusedAtStart)],
      ['protocol answers not as specified', runners.unexpected.length, 0, must(runners.unexpected.length)],
      ['runs per ticket (mean / max)', `${round(audit.runsPerTicket.mean)} / ${audit.runsPerTicket.max}`, '-', '-'],
      ['failed tickets with a PR from a lost result', audit.failedWithPr, '-', '-'],
      ['jobs played / PRs opened / PRs reused by a retry', `${runners.jobs} / ${runners.prsOpened} / ${runners.prsReused}`, '-', '-'],
      ['runs settled by the reaper', r.reaperSettled, '-', '-'],
      ['max live runs', r.maxLiveRuns, '≤ 100 (cap)', '-'],
      ['simulated minutes (incl. tail)', `${r.simulatedMinutes}${r.settled ? '' : ' (tail ran out)'}`, '-', '-'],
      ['wall time (s)', round(r.wallMs / 1000), '-', '-'],
    ],
    notes: [
      'ended = one PR (succeeded run, that PR alone on GitHub, ticket pr-ready) or one clear failure (newest run failed with a reason, ticket needs-human past 2 retries)',
      ...problems.slice(0, 20).map((v) => `${v.identifier}: ${v.end}${v.stale ? ` (${v.stale})` : ''} — ${v.detail}`),
      ...runners.unexpected.slice(0, 10).map((u) => `unexpected: ${u}`),
    ],
  };
}

function faultTable(r: SoakReport): BenchTable {
  const { rates } = r.options;
  const t = r.runners;
  const pct = (p: number) => `${round(p * 100)} % of jobs`;
  return {
    title: 'soak: faults injected (seeded; per job unless stated)',
    columns: ['fault', 'rate', 'injected', 'expected handling'],
    rows: [
      ['dispatch answered 502 (not applied)', `every ${rates.dispatch502Every}th POST`, r.dispatch.refused502, 're-queued as the next attempt'],
      ['dispatch applied, connection cut', `every ${rates.dispatchDropEvery}th POST`, r.dispatch.dropped, 'found by run id, no second POST'],
      ['result lost (job ends success)', pct(rates.lostResult), t.fates['lost-result'], 'settled as failed, retried, PR reused'],
      ['runner killed (job ends failure)', pct(rates.killed * (1 - rates.killedAsCancelled)), t.fates.killed - t.killedAsCancelled, 'settled as failed, retried'],
      ['runner killed (job ends cancelled: timeout)', pct(rates.killed * rates.killedAsCancelled), t.killedAsCancelled, 'settled as failed, retried'],
      ['result posted twice', pct(rates.duplicateResult), t.duplicateResults, 'second answered 409'],
      ['progress after the result', pct(rates.progressAfterResult), t.progressAfterResult, 'answered 409'],
      ['result after the job’s end was handled', pct(rates.resultAfterJobEnd), t.resultsAfterJobEnd, '409; retried; PR reused'],
      ['workflow_run delivery lost (job without result)', `${round(rates.webhookLost * 100)} % of those`, t.webhooksLost, 'reaper finds the ended job'],
      ['workflow_run delivered twice', pct(rates.webhookDuplicated), t.webhooksDuplicated, 'handled once'],
      ['agent failed (failed result; not a fault)', pct(rates.agentFailure), t.fates['agent-failure'], 'retried, then needs-human'],
    ],
  };
}

function resourceTable(r: SoakReport): BenchTable {
  const m = r.memory;
  const perHour = (n: number) => round((n / r.simulatedMinutes) * 60);
  return {
    title: 'soak: memory (sampled every simulated minute after a full GC) and API traffic',
    columns: ['measure', 'value', 'note'],
    rows: [
      ['RSS start / max / end (MB)', `${round(m.startRssMb)} / ${round(m.maxRssMb)} / ${round(m.endRssMb)}`, '-'],
      [`RSS after warm-up (minute ${m.warmupMinutes}) → end (MB)`, `${round(m.warmRssMb)} → ${round(m.endRssMb)}`, `flat: end ≤ warm-up + ${m.thresholdMb} MB → ${m.flat ? 'met' : 'MISSED'}`],
      ['RSS slope after warm-up (MB per simulated hour)', round(m.rssSlopeMbPerHour), 'least squares'],
      ['heap after GC, warm-up → end (MB)', `${round(m.warmHeapMb)} → ${round(m.endHeapMb)}`, `slope ${round(m.heapSlopeMbPerHour)} MB/h (the ledger of ${r.tickets} tickets is kept)`],
      ['Linear requests (total / per ticket / per simulated hour)', `${r.requests.linear} / ${round(r.requests.linear / r.tickets)} / ${perHour(r.requests.linear)}`, 'Linear allows 5,000 an hour per API key'],
      ['GitHub requests (total / per ticket)', `${r.requests.github} / ${round(r.requests.github / r.tickets)}`, '-'],
      ['dispatch POSTs', r.dispatch.posts, `${r.runners.jobs} jobs started`],
    ],
    notes: [`Linear requests by operation: ${r.linearOperations.slice(0, 8).map(([name, n]) => `${name} ${n}`).join(', ')}`],
  };
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const round = (n: number) => Math.round(n * 100) / 100;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const table of await runSoakBench()) console.log(`${formatTable(table)}\n`);
}

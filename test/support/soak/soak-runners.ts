import type { Run } from '../../../src/domain/run.js';
import { isTerminal } from '../../../src/domain/run-status.js';
import { jobSpecSchema, type JobSpec, type ResultBody } from '../../../src/domain/runner-protocol.js';
import type { WorkflowRunConclusion } from '../../../src/sandbox/github/github-types.js';
import { openAgentPull } from '../../github/support/github-scenario.js';
import { postDelivery, signDelivery, workflowRunEvent, type RepoTarget } from '../../github/support/webhook-payloads.js';
import { SECRETS, type OrchestratorHarness } from '../orchestrator-harness.js';
import { planJob, type JobFate, type JobPlan, type SoakRates } from './soak-faults.js';

/** What the runner side did and saw; the bench prints it and the audit checks it. */
export interface RunnerTally {
  jobs: number;
  fates: Record<JobFate, number>;
  duplicateResults: number;
  progressAfterResult: number;
  /** Killed jobs GitHub concluded `cancelled` (a timeout, or a cancel on GitHub) rather than `failure`. */
  killedAsCancelled: number;
  resultsAfterJobEnd: number;
  webhooksDuplicated: number;
  /** Job ends without a result whose `workflow_run` delivery was dropped (the reaper must find them). */
  webhooksLost: number;
  webhooksSent: number;
  /** Jobs whose token exchange would be refused (not the run's recorded job, or the run already over). */
  refusedAtStart: number;
  prsOpened: number;
  prsReused: number;
  /** Answers the protocol does not allow here (e.g. a first result refused, a duplicate accepted). */
  unexpected: string[];
}

interface Job {
  workflowRunId: number;
  runId: string;
  phase: 'new' | 'running' | 'done';
  /** Simulated time the job was first seen. */
  seenAt: number;
  plan?: JobPlan;
  finishAt?: number;
  run?: Run;
  tokens?: { progressToken: string; resultToken: string };
  spec?: JobSpec;
}

/** How long a job waits for its run to record the job id before its exchange gives up (as the runner's retries would). */
const START_PATIENCE_MS = 15 * 60_000;
const CONCURRENCY = 8;
const STEPS = [
  { id: 'implement', type: 'agent', title: 'Implement the ticket' },
  { id: 'open-pr', type: 'open-pr', title: 'Open the pull request' },
];

/**
 * The runner side of the soak, played over the real protocol: every
 * `workflow_dispatch` the GitHub emulator recorded is a job. A job gets the
 * tokens the OIDC exchange would give it (`tokens.mint` for the run's current
 * attempt, only if the run recorded this job), fetches its job spec, reports
 * progress, opens or reuses the PR of the ticket's branch as the real
 * open-pr step does, and ends as its seeded plan says. The workflow run is
 * then completed in the emulator and its `workflow_run` delivery sent,
 * unless the plan drops it.
 */
export class SoakRunners {
  readonly tally: RunnerTally = {
    jobs: 0,
    fates: { success: 0, 'agent-failure': 0, 'lost-result': 0, killed: 0 },
    duplicateResults: 0,
    progressAfterResult: 0,
    killedAsCancelled: 0,
    resultsAfterJobEnd: 0,
    webhooksDuplicated: 0,
    webhooksLost: 0,
    webhooksSent: 0,
    refusedAtStart: 0,
    prsOpened: 0,
    prsReused: 0,
    unexpected: [],
  };
  private readonly jobs: Job[] = [];
  private cursor = 0;
  private readonly ordinals = new Map<string, number>();

  constructor(
    private readonly h: OrchestratorHarness,
    private readonly target: RepoTarget,
    private readonly rates: SoakRates,
    private readonly seed: number,
    private readonly clock: () => number,
  ) {}

  /** Jobs started but not yet ended. */
  get live(): number {
    return this.jobs.filter((j) => j.phase !== 'done').length;
  }

  /** Picks up newly dispatched workflow runs, starts them, and ends the ones whose time has come. */
  async step(): Promise<void> {
    const runs = this.h.github.state.runs;
    for (; this.cursor < runs.length; this.cursor++) {
      const wr = runs[this.cursor];
      if (wr) this.jobs.push({ workflowRunId: wr.id, runId: wr.inputs.run_id ?? '', phase: 'new', seenAt: this.clock() });
    }
    // Jobs run side by side, as real runners do; a few at a time keeps the process's one thread fair to the server.
    const due = this.jobs.filter((j) => j.phase === 'new' || (j.phase === 'running' && (j.finishAt ?? Infinity) <= this.clock()));
    await inParallel(due, CONCURRENCY, (job) => (job.phase === 'new' ? this.start(job) : this.finish(job)));
    // Finished jobs are forgotten: the soak must not measure its own bookkeeping.
    for (let i = this.jobs.length - 1; i >= 0; i--) if (this.jobs[i]?.phase === 'done') this.jobs.splice(i, 1);
  }

  private async start(job: Job): Promise<void> {
    const run = await this.h.orchestrator.store.runs.getRun(job.runId);
    if (run && !run.upstreamId && !isTerminal(run.status) && this.clock() - job.seenAt < START_PATIENCE_MS) return; // the exchange answers "retry shortly"
    if (!run || run.upstreamId !== String(job.workflowRunId) || isTerminal(run.status) || !run.deadlineAt) {
      this.tally.refusedAtStart += 1;
      await this.endJob(job, 'failure');
      return;
    }
    const ordinal = (this.ordinals.get(run.identifier) ?? 0) + 1;
    this.ordinals.set(run.identifier, ordinal);
    const plan = planJob(this.seed, run.identifier, ordinal, this.rates);
    this.tally.jobs += 1;
    this.tally.fates[plan.fate] += 1;
    job.plan = plan;
    job.run = run;
    job.tokens = this.h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt);
    job.finishAt = this.clock() + plan.minutes * 60_000;
    job.phase = 'running';
    this.h.github.state.setRunStatus(job.workflowRunId, 'in_progress');

    const res = await fetch(`${this.h.orchestrator.url}/runner/job`, { headers: { authorization: `Bearer ${job.tokens.progressToken}` } });
    if (res.status !== 200) {
      this.unexpected(`job spec of ${run.identifier} answered ${res.status}: ${await res.text()}`);
      job.finishAt = this.clock();
      job.plan = { ...plan, fate: 'killed' };
      return;
    }
    job.spec = jobSpecSchema.parse(await res.json());
    await this.progress(job, 'running', 200);
  }

  private async finish(job: Job): Promise<void> {
    const { plan, run, spec } = job;
    if (!plan || !run) return;
    if (plan.fate === 'killed' || !spec) {
      if (plan.killedAs === 'cancelled') this.tally.killedAsCancelled += 1;
      await this.endJob(job, plan.killedAs, plan);
      return;
    }
    if (plan.fate === 'agent-failure') {
      await this.progress(job, 'failed', 200);
      await this.result(job, { outcome: 'failed', failedStep: 'implement', failureReason: 'the agent exited with 1: tests still fail after 3 iterations' }, 200);
      await this.endJob(job, 'failure', plan);
      return;
    }
    const pr = this.ensurePull(run, spec);
    await this.progress(job, 'passed', 200);
    if (plan.fate === 'lost-result') {
      await this.endJob(job, 'success', plan);
      return;
    }
    const late = plan.resultAfterJobEnd;
    if (late) {
      // The job's end is reported and handled first; the result was still in flight.
      this.tally.resultsAfterJobEnd += 1;
      await this.endJob(job, 'success', { webhookLost: false, webhookDuplicated: plan.webhookDuplicated });
      await drainInbox(this.h);
    }
    await this.result(job, {
      outcome: 'succeeded',
      prUrl: pr.url,
      prNumber: pr.number,
      branch: spec.repo.branch,
      summary: 'Implemented the ticket.',
      tokens: { input: 12_000, output: 2_000, cacheRead: 8_000 },
      costUsd: 0.04,
      agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic' },
    }, late ? 409 : 200);
    if (!late) await this.endJob(job, 'success', plan);
  }

  /** As the open-pr step: the open PR of the ticket's branch if there is one, else a new one. */
  private ensurePull(run: Run, spec: JobSpec): { number: number; url: string } {
    const { state } = this.h.github;
    const repo = state.requireRepo(this.target.owner, this.target.repo);
    const branch = spec.repo.branch;
    const existing = state.pulls.find((p) => p.repoId === repo.id && p.headRef === branch && p.state === 'open');
    const url = (n: number) => `${this.h.github.url}/${this.target.owner}/${this.target.repo}/pull/${n}`;
    if (existing) {
      this.tally.prsReused += 1;
      return { number: existing.number, url: url(existing.number) };
    }
    const pull = openAgentPull(state, this.target, { identifier: run.identifier, issueId: run.issueId, mappingKey: run.mappingKey, runId: run.id, headRef: branch, title: `${run.identifier}: ${spec.ticket.title}` });
    this.tally.prsOpened += 1;
    return { number: pull.number, url: url(pull.number) };
  }

  private async result(job: Job, body: Omit<ResultBody, 'runId' | 'attempt'>, expected: number): Promise<void> {
    const { plan, run, tokens } = job;
    if (!plan || !run || !tokens) return;
    const payload = { runId: run.id, attempt: run.attempt, ...body };
    const first = await this.post('/runner/result', tokens.resultToken, payload);
    if (first !== expected) this.unexpected(`result of ${run.identifier} (${run.id}) answered ${first}, expected ${expected}`);
    if (plan.duplicateResult) {
      this.tally.duplicateResults += 1;
      const again = await this.post('/runner/result', tokens.resultToken, payload);
      if (again !== 409) this.unexpected(`duplicate result of ${run.identifier} answered ${again}, not 409`);
    }
    if (plan.progressAfterResult) {
      this.tally.progressAfterResult += 1;
      await this.progress(job, 'passed', 409);
    }
  }

  private async progress(job: Job, status: 'running' | 'passed' | 'failed', expected: number): Promise<void> {
    const { run, tokens } = job;
    if (!run || !tokens) return;
    const now = new Date(this.clock()).toISOString();
    const steps =
      status === 'running'
        ? [{ id: 'implement', type: 'agent', status: 'running' as const, startedAt: now }]
        : [
            { id: 'implement', type: 'agent', status: status === 'failed' ? ('failed' as const) : ('passed' as const), finishedAt: now },
            ...(status === 'passed' ? [{ id: 'open-pr', type: 'open-pr', status: 'passed' as const, finishedAt: now }] : []),
          ];
    const body = { runId: run.id, attempt: run.attempt, ...(status === 'running' ? { plannedSteps: STEPS } : {}), steps };
    const answer = await this.post('/runner/progress', tokens.progressToken, body);
    if (answer !== expected) this.unexpected(`progress (${status}) of ${run.identifier} answered ${answer}, expected ${expected}`);
  }

  /**
   * The job's process is gone: the workflow run completes upstream, and GitHub
   * says so — unless the plan loses the delivery, which only matters (and is
   * only counted) for a job that ended without a result.
   */
  private async endJob(job: Job, conclusion: WorkflowRunConclusion, delivery: Pick<JobPlan, 'webhookLost' | 'webhookDuplicated'> = { webhookLost: false, webhookDuplicated: false }): Promise<void> {
    job.phase = 'done';
    const wr = this.h.github.state.setRunStatus(job.workflowRunId, 'completed', conclusion);
    const withoutResult = job.plan?.fate === 'killed' || job.plan?.fate === 'lost-result';
    if (delivery.webhookLost && withoutResult) {
      this.tally.webhooksLost += 1;
      return;
    }
    const payload = workflowRunEvent(this.target, { action: 'completed', id: wr.id, displayTitle: wr.displayTitle, conclusion });
    const signed = signDelivery(SECRETS.githubWebhook, 'workflow_run', payload);
    for (let i = 0; i < (delivery.webhookDuplicated ? 2 : 1); i++) {
      const { status } = await postDelivery(this.h.orchestrator.url, signed);
      if (status >= 300) this.unexpected(`workflow_run delivery answered ${status}`);
    }
    if (delivery.webhookDuplicated) this.tally.webhooksDuplicated += 1;
    this.tally.webhooksSent += 1;
    this.h.orchestrator.services.inbox.notify();
  }

  private async post(path: string, token: string, body: unknown): Promise<number> {
    const res = await fetch(`${this.h.orchestrator.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  }

  private unexpected(what: string): void {
    if (this.tally.unexpected.length < 50) this.tally.unexpected.push(what);
  }
}

/** Webhook deliveries are handled by the inbox worker in the background: waits until it has none left (false on timeout). */
export async function drainInbox(h: OrchestratorHarness, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { pending, leased } = await h.orchestrator.store.inbox.backlog();
    if (pending + leased === 0) return true;
    if (Date.now() > deadline) return false;
    h.orchestrator.services.inbox.notify();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

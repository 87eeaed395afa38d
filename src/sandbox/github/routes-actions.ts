import type { EmulatorRequest } from '../emulator-server.js';
import { normalizeBranchRef } from './github-git.js';
import { GitHubApiError, bodyOf, notFound, numberParam, ok, paginate, requiredString, validationFailed } from './github-http.js';
import { repoFor, type RouteContext, type RouteTable } from './github-route-table.js';
import { minimalRepoShape, runShape, workflowShape } from './github-shapes.js';
import type { Repo, Workflow, WorkflowRun } from './github-types.js';

const READ_ACTIONS: Array<[string, 'read']> = [['actions', 'read']];
const WRITE_ACTIONS: Array<[string, 'write']> = [['actions', 'write']];
const MAX_INPUTS = 25;

function findWorkflow(ctx: RouteContext, repo: Repo, key: string): Workflow {
  const workflow = ctx.state.workflows.find(
    (w) => w.repoId === repo.id && (String(w.id) === key || w.path.split('/').pop() === key || w.path === key),
  );
  if (!workflow) throw notFound();
  return workflow;
}

/** Fills `${{ inputs.x }}` and `${{ github.event.inputs.x }}` the way a workflow's `run-name:` would. */
export function renderRunName(template: string, inputs: Record<string, string>): string {
  return template.replace(/\$\{\{\s*(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (_m, name: string) => inputs[name] ?? '');
}

function stringInputs(workflow: Workflow, raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw validationFailed('Invalid request.\n\nFor "inputs", the value must be an object.');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_INPUTS) throw validationFailed(`you may only define up to ${MAX_INPUTS} \`inputs\` for a workflow_dispatch event`);
  const inputs: Record<string, string> = {};
  for (const [key, value] of entries) inputs[key] = typeof value === 'string' ? value : JSON.stringify(value);
  if (workflow.inputs) {
    const unexpected = Object.keys(inputs).filter((k) => !(k in (workflow.inputs ?? {})));
    if (unexpected.length > 0) throw validationFailed(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    for (const [name, spec] of Object.entries(workflow.inputs)) {
      if (spec.required && !(name in inputs)) throw validationFailed(`Required input '${name}' not provided`);
    }
  }
  return inputs;
}

function matchesCreated(createdAt: string, filter: string): boolean {
  const t = Date.parse(createdAt);
  const range = filter.split('..');
  if (range.length === 2) {
    const [from, to] = range;
    return (from === '*' || t >= Date.parse(from ?? '')) && (to === '*' || t <= Date.parse(to ?? ''));
  }
  const match = /^(>=|<=|>|<)?(.+)$/.exec(filter);
  const op = match?.[1];
  const bound = Date.parse(match?.[2] ?? '');
  if (Number.isNaN(bound)) return false;
  if (op === '>=') return t >= bound;
  if (op === '>') return t > bound;
  if (op === '<=') return t <= bound;
  if (op === '<') return t < bound;
  return createdAt.startsWith(match?.[2] ?? '\u0000');
}

function filterRuns(req: EmulatorRequest, runs: WorkflowRun[]): WorkflowRun[] {
  const q = req.query;
  const status = q.get('status');
  return runs
    .filter((r) => !q.get('event') || r.event === q.get('event'))
    .filter((r) => !status || r.status === status || r.conclusion === status)
    .filter((r) => !q.get('branch') || r.headBranch === q.get('branch'))
    .filter((r) => !q.get('actor') || r.actor.login === q.get('actor'))
    .filter((r) => !q.get('head_sha') || r.headSha === q.get('head_sha'))
    .filter((r) => !q.get('created') || matchesCreated(r.createdAt, q.get('created') ?? ''))
    .sort((a, b) => b.id - a.id);
}

function runList(req: EmulatorRequest, ctx: RouteContext, repo: Repo, runs: WorkflowRun[]) {
  const matches = filterRuns(req, runs);
  const { page, headers } = paginate(req, ctx.urls.api, matches);
  const repository = minimalRepoShape(repo, ctx.urls);
  return ok(
    200,
    {
      total_count: matches.length,
      workflow_runs: page.map((r) => runShape(repo, r, ctx.state.workflows.find((w) => w.id === r.workflowId), ctx.urls, repository)),
    },
    headers,
  );
}

/** Workflows, `workflow_dispatch` and workflow runs. */
export function registerActionRoutes(table: RouteTable): void {
  table.on('GET', '/repos/:owner/:repo/actions/workflows', { auth: 'installation', need: READ_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const workflows = ctx.state.workflows.filter((w) => w.repoId === repo.id);
    return ok(200, { total_count: workflows.length, workflows: workflows.map((w) => workflowShape(repo, w, ctx.urls)) });
  });

  table.on('GET', '/repos/:owner/:repo/actions/workflows/:workflow', { auth: 'installation', need: READ_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    return ok(200, workflowShape(repo, findWorkflow(ctx, repo, req.params.workflow ?? ''), ctx.urls));
  });

  table.on('POST', '/repos/:owner/:repo/actions/workflows/:workflow/dispatches', { auth: 'installation', need: WRITE_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const workflow = findWorkflow(ctx, repo, req.params.workflow ?? '');
    const body = bodyOf(req);
    const ref = requiredString(body, 'ref');
    const headSha = repo.refs.get(normalizeBranchRef(ref));
    if (!headSha) throw validationFailed(`No ref found for: ${ref}`);
    if (workflow.state !== 'active') throw new GitHubApiError(422, 'Workflow is disabled');
    const inputs = stringInputs(workflow, body.inputs);
    const now = ctx.state.timestamp();
    const run: WorkflowRun = {
      id: ctx.state.newId(),
      repoId: repo.id,
      workflowId: workflow.id,
      name: workflow.name,
      displayTitle: workflow.runName ? renderRunName(workflow.runName, inputs) : workflow.name,
      headBranch: ref.replace(/^refs\/(heads|tags)\//, ''),
      headSha,
      event: 'workflow_dispatch',
      status: 'queued',
      conclusion: null,
      runNumber: ctx.state.runs.filter((r) => r.workflowId === workflow.id).length + 1,
      runAttempt: 1,
      inputs,
      actor: ctx.state.botAccount,
      createdAt: now,
      updatedAt: now,
      runStartedAt: now,
    };
    ctx.state.runs.push(run);
    if (body.return_run_details !== true) return ok(204);
    return ok(200, {
      workflow_run_id: run.id,
      run_url: `${ctx.urls.api}/repos/${repo.fullName}/actions/runs/${run.id}`,
      html_url: `${ctx.urls.web}/${repo.fullName}/actions/runs/${run.id}`,
    });
  });

  table.on('GET', '/repos/:owner/:repo/actions/runs', { auth: 'installation', need: READ_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    return runList(req, ctx, repo, ctx.state.runs.filter((r) => r.repoId === repo.id));
  });

  table.on('GET', '/repos/:owner/:repo/actions/workflows/:workflow/runs', { auth: 'installation', need: READ_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const workflow = findWorkflow(ctx, repo, req.params.workflow ?? '');
    return runList(req, ctx, repo, ctx.state.runs.filter((r) => r.workflowId === workflow.id));
  });

  const findRun = (req: { params: Record<string, string> }, ctx: RouteContext, repo: Repo): WorkflowRun => {
    const id = numberParam(req.params.id);
    const run = ctx.state.runs.find((r) => r.id === id && r.repoId === repo.id);
    if (!run) throw notFound();
    return run;
  };

  // Re-run a workflow: only a completed run, as its next attempt (run_attempt + 1), queued again with the same inputs.
  table.on('POST', '/repos/:owner/:repo/actions/runs/:id/rerun', { auth: 'installation', need: WRITE_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const run = findRun(req, ctx, repo);
    if (run.status !== 'completed') throw new GitHubApiError(403, 'This workflow is already running');
    run.runAttempt += 1;
    run.runStartedAt = ctx.state.timestamp();
    ctx.state.setRunStatus(run.id, 'queued');
    return ok(201, {});
  });

  table.on('GET', '/repos/:owner/:repo/actions/runs/:id', { auth: 'installation', need: READ_ACTIONS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const run = findRun(req, ctx, repo);
    return ok(200, runShape(repo, run, ctx.state.workflows.find((w) => w.id === run.workflowId), ctx.urls));
  });

  for (const action of ['cancel', 'force-cancel']) {
    table.on('POST', `/repos/:owner/:repo/actions/runs/:id/${action}`, { auth: 'installation', need: WRITE_ACTIONS }, (req, ctx) => {
      const repo = repoFor(req, ctx);
      const run = findRun(req, ctx, repo);
      if (run.status === 'completed') throw new GitHubApiError(409, 'Cannot cancel a workflow run that is completed.');
      ctx.state.setRunStatus(run.id, 'completed', 'cancelled');
      return ok(202, {});
    });
  }
}

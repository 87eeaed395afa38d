import { describe, expect, it } from 'vitest';
import { jobSpecSchema } from '../../src/domain/runner-protocol.js';
import { branchFor, slugify } from '../../src/orchestrator/job-spec.js';
import { demoMapping, MAPPING_SECRET, useHarnesses, type Harness } from './support/runner-harness.js';

const harness = useHarnesses();

function getJob(h: Harness, token: string): Promise<Response> {
  return fetch(`${h.url}/runner/job`, { headers: { authorization: `Bearer ${token}` } });
}

describe('branch names', () => {
  it('builds ai-implement/<identifier>-<slug ≤ 40 chars>', () => {
    expect(branchFor('ENG-12', 'Add a dark mode toggle to Settings')).toBe('ai-implement/eng-12-add-a-dark-mode-toggle-to-settings');
    const long = branchFor('OPS-7', 'Crème brûlée: make the checkout flow handle VAT for every single EU country');
    expect(long).toBe('ai-implement/ops-7-creme-brulee-make-the-checkout-flow-hand');
    expect(long.length - 'ai-implement/ops-7-'.length).toBeLessThanOrEqual(40);
    expect(slugify('--- ???')).toBe('');
    expect(branchFor('ENG-1', '???')).toBe('ai-implement/eng-1');
    expect(slugify('a'.repeat(39) + ' b')).toBe('a'.repeat(39));
  });
});

describe('GET /runner/job', () => {
  it('answers the job spec for the run with a repo-scoped token and the mapping env', async () => {
    const h = await harness();
    const run = await h.seedRun();
    await h.store.runs.updateRun(run.id, { instructions: 'Keep it small' });
    const res = await getJob(h, h.mint(run).progressToken);
    expect(res.status).toBe(200);
    const spec = jobSpecSchema.parse(await res.json());
    expect(spec).toMatchObject({
      runId: run.id,
      attempt: 1,
      phase: 'implement',
      pipeline: 'implement',
      shadow: false,
      deadlineAt: run.deadlineAt,
      ticket: { tracker: 'linear', id: run.issueId, identifier: run.identifier, title: 'Add a dark mode toggle to Settings', description: 'Users want dark mode.' },
      repo: {
        owner: 'acme',
        name: 'app',
        defaultBranch: 'main',
        cloneUrl: 'http://github.test/acme/app.git',
        branch: `ai-implement/${run.identifier.toLowerCase()}-add-a-dark-mode-toggle-to-settings`,
      },
      github: { apiUrl: 'http://github.test/api/v3', token: 'ghs_scoped_acme_app', tokenExpiresAt: new Date(h.clock.now() + 3_600_000).toISOString() },
      agent: { runtime: 'claude-code', provider: 'anthropic', maxTurns: 50, maxIterations: 3, maxJobMinutes: 60 },
      instructions: 'Keep it small',
      env: { NODE_ENV: 'test', API_KEY: MAPPING_SECRET },
    });
    expect(h.repoTokenRequests).toEqual(['acme/app']);
  });

  it('registers the env values whose names say they are credentials as it hands them out', async () => {
    const h = await harness();
    await h.store.mappings.upsert(demoMapping({ extraEnv: { NODE_ENV: 'production', NPM_TOKEN: 'npm-token-value-42', DB_PASSWORD: 'hunter2-but-longer', AUTHOR_NAME: 'Jane Q. Public' } }));
    const run = await h.seedRun();
    expect(h.secrets.has('npm-token-value-42')).toBe(false);
    expect((await getJob(h, h.mint(run).progressToken)).status).toBe(200);
    expect(h.secrets.has('npm-token-value-42')).toBe(true);
    expect(h.secrets.has('hunter2-but-longer')).toBe(true);
    expect(h.secrets.has('production')).toBe(false);
    expect(h.secrets.has('Jane Q. Public')).toBe(false);
  });

  it('carries the mapping’s keyless cloud identity in the agent section (names only, no secret)', async () => {
    const h = await harness();
    const role = 'arn:aws:iam::123456789012:role/ai-implement-bedrock';
    await h.store.mappings.upsert(demoMapping({ provider: 'bedrock', awsRegion: 'us-east-1', awsRoleArn: role, awsRoleSessionDuration: 7200 }));
    const run = await h.seedRun();
    const spec = jobSpecSchema.parse(await (await getJob(h, h.mint(run).progressToken)).json());
    expect(spec.agent).toMatchObject({ provider: 'bedrock', awsRegion: 'us-east-1', awsRoleArn: role, awsRoleSessionDuration: 7200 });
    expect(spec.agent.gcpWorkloadIdentityProvider).toBeUndefined();
  });

  it('keeps the branch and PR of a review-feedback run', async () => {
    const h = await harness();
    const run = await h.seedRun({ phase: 'review-feedback' });
    await h.store.runs.updateRun(run.id, { branch: 'feature/by-hand', prNumber: 9 });
    const spec = jobSpecSchema.parse(await (await getJob(h, h.mint(run).progressToken)).json());
    expect(spec.pipeline).toBe('review-feedback');
    expect(spec.repo).toMatchObject({ branch: 'feature/by-hand', prNumber: 9 });
  });

  it('refuses a result token, a stale attempt, a vanished ticket, and answers 503 while the tracker is down', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken, resultToken } = h.mint(run);
    const wrong = await getJob(h, resultToken);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'wrong_audience' });

    h.linear.failNext('getItem');
    const down = await getJob(h, progressToken);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('30');
    expect(await down.json()).toMatchObject({ error: 'tracker_unavailable' });

    h.linear.items.delete(run.issueId);
    const gone = await getJob(h, progressToken);
    expect(gone.status).toBe(409);
    expect(await gone.json()).toMatchObject({ error: 'ticket_missing' });

    await h.store.runs.updateRun(run.id, { status: 'claimed', attempt: 2 });
    const stale = await getJob(h, progressToken);
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: 'stale_attempt' });
    expect(h.repoTokenRequests).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { runnerSecretsSchema } from '../../src/domain/runner-protocol.js';
import { useHarnesses } from './support/runner-harness.js';

const harness = useHarnesses();

async function get(url: string, token: string | undefined): Promise<Response> {
  return fetch(`${url}/runner/secrets`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe('GET /runner/secrets: the broker hands a GitHub Actions job its secrets for the run’s lifetime', () => {
  it('answers the mapping’s secrets over the global ones, uncached, and logs names only', async () => {
    const h = await harness();
    await h.broker.setGlobal('ANTHROPIC_API_KEY', 'sk-ant-global-value', 'test');
    await h.broker.setGlobal('SHARED_FLAG_KEY', 'shared-value-1', 'test');
    await h.broker.setTeam('ENG', 'ANTHROPIC_API_KEY', 'sk-ant-eng-value', 'test');
    const run = await h.seedRun();
    const res = await get(h.url, h.mint(run).progressToken);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(runnerSecretsSchema.parse(await res.json())).toEqual({ env: { ANTHROPIC_API_KEY: 'sk-ant-eng-value', SHARED_FLAG_KEY: 'shared-value-1' } });
    expect(h.lines.join('\n')).toContain('secrets handed to runner');
    expect(h.lines.join('\n')).not.toContain('sk-ant-eng-value');
    expect(h.secrets.redact('key sk-ant-eng-value')).toBe('key [REDACTED]');
  });

  it('refuses once the run is over, for an old attempt, with the result token, and without a token', async () => {
    const h = await harness();
    await h.broker.setTeam('ENG', 'NPM_TOKEN', 'npm-value-xyz', 'test');
    const run = await h.seedRun();
    const tokens = h.mint(run);
    expect((await get(h.url, undefined)).status).toBe(401);
    expect((await get(h.url, tokens.resultToken)).status).toBe(401);
    expect((await get(h.url, 'garbage')).status).toBe(401);

    await h.store.runs.updateRun(run.id, { status: 'succeeded', finishedAt: new Date(h.clock.now()).toISOString() });
    const finished = await get(h.url, tokens.progressToken);
    expect(finished.status).toBe(409);
    expect(((await finished.json()) as { error: string }).error).toBe('run_finished');

    const queued = await h.seedRun({ status: 'claimed' });
    const early = await get(h.url, h.mint(queued).progressToken);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: string }).error).toBe('run_not_dispatched');
  });

  it('refuses a Fly or local run, whose runner got its secrets when it was started', async () => {
    const h = await harness();
    await h.broker.setTeam('ENG', 'NPM_TOKEN', 'npm-value-xyz', 'test');
    for (const backend of ['fly-machines', 'local'] as const) {
      const run = await h.seedRun({ backend });
      const res = await get(h.url, h.mint(run).progressToken);
      expect(res.status, backend).toBe(409);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('secrets_delivered_at_start');
      expect(JSON.stringify(body)).not.toContain('npm-value-xyz');
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';
import { signHmacSha256 } from '../../src/http/verify-hmac.js';

describe('sandbox mode wiring (in process)', () => {
  let orchestrator: RunningOrchestrator;
  let dataDir: string;
  let banner = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-sandbox-'));
    orchestrator = await startOrchestrator({
      env: { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' },
      print: (text) => (banner += text),
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    });
  });

  afterAll(async () => {
    await orchestrator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the secrets it needs; the banner shows the access code and no other secret', () => {
    const { config } = orchestrator;
    expect(config.sandbox).toBe(true);
    expect(Buffer.byteLength(config.runnerTokenSecret ?? '')).toBeGreaterThanOrEqual(32);
    expect(config.github.webhookSecret).toBeTruthy();
    expect(config.linear.webhookSecret).toBeTruthy();
    expect(config.jira.webhookSecret).toBeTruthy();
    expect(banner).toContain(config.adminAccessCode!);
    expect(banner).not.toContain(config.runnerTokenSecret!);
  });

  it('points every integration at its emulator and seeds the demo projects and tickets', async () => {
    const { config, sandbox } = orchestrator;
    const emulators = sandbox!.emulators;
    expect(config.github.baseUrl).toBe(emulators.github.gheBaseUrl);
    expect(config.linear.apiUrl).toBe(emulators.linear.apiUrl);
    expect(config.jira.host).toBe(emulators.jira.url);
    expect(config.fly.apiUrl).toBe(emulators.fly.apiUrl);
    const mappings = await orchestrator.store.mappings.list();
    expect(mappings.map((m) => m.teamKey)).toEqual(['DEMO', 'OPS']);
    expect(mappings.every((m) => m.owner === 'demo-org' && m.repo === 'demo-app' && m.defaultBranch === 'main' && m.executionMode === 'local')).toBe(true);
    expect(emulators.linear.workspace.issues.filter((i) => emulators.linear.labelNames(i.id).includes('AI-Implement'))).toHaveLength(3);
    expect(emulators.github.state.repo('demo-org', 'demo-app')).toBeDefined();
  });

  it('records a signed GitHub delivery in the durable inbox before answering', async () => {
    const body = JSON.stringify({ action: 'created', installation: { id: 1 } });
    const signature = signHmacSha256(orchestrator.config.github.webhookSecret!, body, 'sha256=');
    const res = await fetch(`${orchestrator.url}/api/github/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': 'sandbox-delivery-1', 'x-hub-signature-256': signature },
      body,
    });
    expect(res.status).toBe(202);
    const stored = await orchestrator.store.inbox.getDelivery('sandbox-delivery-1');
    // The worker may already be handling it (woken by the route); recorded it is, either way.
    expect(stored).toMatchObject({ source: 'github', event: 'issue_comment' });
    expect(['pending', 'leased', 'completed']).toContain(stored?.status);
  });

  it('starts with the demo repository holding current workflow templates (no warning the newcomer did not cause)', async () => {
    const token = await apiToken(orchestrator);
    const res = await fetch(`${orchestrator.url}/api/admin/template-status`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const { repos } = (await res.json()) as { repos: { teamKey: string; repo: string; status: string; files: { path: string; status: string }[] }[] };
    expect(repos.map((r) => r.teamKey).sort()).toEqual(['DEMO', 'OPS']);
    for (const repo of repos) {
      expect(repo.files.length, 'every workflow template is checked').toBeGreaterThanOrEqual(3);
      expect(repo, `${repo.teamKey}: ${repo.files.map((f) => `${f.path} ${f.status}`).join(', ')}`).toMatchObject({ repo: 'demo-org/demo-app', status: 'current' });
    }
    // The files are the rendered ones: the runner image the sync would write, not the template's placeholder default.
    const workflow = orchestrator.sandbox!.emulators.github.state.readFile('demo-org', 'demo-app', '.github/workflows/claude-implement.yml');
    expect(workflow).toContain(JSON.stringify(orchestrator.config.runnerImage));
    // Guidance files are seeded too, as the sync seeds them.
    expect(orchestrator.sandbox!.emulators.github.state.readFile('demo-org', 'demo-app', 'WORKFLOW.md')).toBeTruthy();
  });
});

async function apiToken(orchestrator: RunningOrchestrator): Promise<string> {
  const res = await fetch(`${orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: orchestrator.config.adminAccessCode }) });
  return ((await res.json()) as { token: string }).token;
}

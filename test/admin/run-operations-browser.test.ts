import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/run-status.js';
import { SETTINGS } from '../../src/domain/settings-keys.js';
import { AI_IMPLEMENT_LABEL, DEMO_FLY_APP, DEMO_LINEAR_TEAM } from '../../src/sandbox/seed-demo.js';
import { closeLoggedInSandbox, eventually, openLoggedInSandbox, screenshot, type SandboxServer, type TestBrowser } from './support/admin-browser.js';

/**
 * An operator steering one run from its page in the browser: the Stop button
 * ends a live Fly run (machine destroyed, ticket told), and a finished run's
 * report downloads as a Markdown file.
 */
describe('run operations from the run page', () => {
  let server: SandboxServer;
  let browser: TestBrowser;
  let base: string;

  beforeAll(async () => {
    ({ server, browser, base } = await openLoggedInSandbox());
  }, 90_000);

  afterAll(() => closeLoggedInSandbox({ server, browser }));

  it('stops a live Fly run with the Stop button after a confirm dialog', async () => {
    const { orchestrator } = server;
    const { linear, fly } = orchestrator.sandbox!.emulators;
    await orchestrator.store.settings.set(SETTINGS.runnerMode, 'fly');
    // The Fly emulator keeps a machine started until told otherwise: the run stays live.
    const issue = linear.store.addIssue({ team: DEMO_LINEAR_TEAM, title: 'Add a /health/deep route', labels: [AI_IMPLEMENT_LABEL], state: 'Todo' });
    await orchestrator.services.runLoop.runNow();
    const run = await eventually(async () => {
      const runs = (await orchestrator.store.runs.listRuns({ issueId: issue.id, limit: 5 })).items;
      return runs.find((r) => r.backend === 'fly-machines' && !isTerminal(r.status) && r.upstreamId);
    }, 'a live Fly run');
    const machine = () => fly.state.machinesOf(DEMO_FLY_APP).find((m) => m.id === run.upstreamId);
    expect(machine()?.state).not.toBe('destroyed');

    const { page } = browser;
    await page.goto(`${base}/admin/runs/${run.id}`);
    await page.locator('form[data-run-action="stop"] button').click();
    const dialog = page.locator('#confirm-dialog');
    await expect(dialog.locator('[data-confirm-message]').textContent()).resolves.toMatch(/stop/i);
    await Promise.all([page.waitForURL(/notice=run-stopped/), dialog.locator('[data-confirm-ok]').click()]);
    await screenshot(page, '40-run-stopped');

    await expect(page.locator('[data-run-status]').textContent()).resolves.toBe('failed');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('Stopped via admin');
    // Only what still makes sense is offered: no second Stop.
    await expect(page.locator('form[data-run-action="stop"]').count()).resolves.toBe(0);
    expect(machine()?.state).toBe('destroyed');
    expect(linear.commentsOn(issue.identifier).map((c) => c.body)).toContain(`⏹️ AI-Implement run ${run.id} (${run.phase}) was stopped by an operator.`);
    await orchestrator.store.settings.set(SETTINGS.runnerMode, 'default');
  });

  it('downloads a finished run’s report as Markdown from its page', async () => {
    const { orchestrator } = server;
    const finished = (await orchestrator.store.runs.listRuns({ limit: 50 })).items.find((r) => r.prUrl && isTerminal(r.status) && r.status !== 'failed')!;
    expect(finished).toBeDefined();
    const { page } = browser;
    await page.goto(`${base}/admin/runs/${finished.id}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-report-download="md"]').click()]);
    expect(download.suggestedFilename()).toBe(`${finished.identifier}-${finished.id}.md`);
    const path = await download.path();
    const markdown = readFileSync(path!, 'utf8');
    expect(markdown).toContain(finished.identifier);
    expect(markdown).toContain(finished.prUrl!);
    expect(markdown).toMatch(/^#/m);
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';
import { findProjectRoot } from '../../src/package-info.js';
import { eventually, launchBrowser, waitForDemoLoop, type TestBrowser } from './support/admin-browser.js';

const run = promisify(execFile);
const SCREENSHOTS = process.env.SANDBOX_SCREENSHOTS === '1' ? join(findProjectRoot(), 'docs', 'images') : undefined;

/** The README's "Try it" walkthrough, in a real browser against a real sandbox. */
describe('sandbox walkthrough (README): start, log in, add a ticket, watch its PR, /ai-implement on the PR page', () => {
  let orchestrator: RunningOrchestrator;
  let browser: TestBrowser;
  let dataDir: string;
  let banner = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-walkthrough-'));
    orchestrator = await startOrchestrator({
      env: { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' },
      print: (text) => (banner += text),
      logDestination: new Writable({ write: (_c, _e, done) => done() }),
    });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await orchestrator?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('follows the walkthrough end to end', async () => {
    const { page } = browser;
    const { github } = orchestrator.sandbox!.emulators;
    // 1. Log in with the code the banner printed.
    const code = orchestrator.config.adminAccessCode!;
    expect(banner).toContain(code);
    await page.goto(`${orchestrator.url}/admin/login`);
    await page.fill('#code', code);
    await Promise.all([page.waitForURL(`${orchestrator.url}/admin`), page.click('button[type=submit]')]);
    await waitForDemoLoop(orchestrator);
    await page.reload();
    await shoot(page, 'sandbox-overview');

    // 2. Add a ticket from the Overview's sandbox card.
    const card = page.getByTestId('sandbox-card');
    await card.locator('input[name=title]').fill('Add a /ping route <b>now</b>');
    await Promise.all([page.waitForURL(/notice=sandbox-ticket/), card.getByRole('button', { name: 'Add ticket' }).click()]);
    expect(await page.textContent('body')).toContain('DEMO-4 was added in the Linear emulator');

    // 3. Watch it become a PR (the Linear webhook started the run; no poll is due for a minute).
    const done = await eventually(async () => {
      const runs = (await orchestrator.store.runs.listRuns({ limit: 50 })).items;
      return runs.find((r) => r.identifier === 'DEMO-4' && r.status === 'pr_opened' && r.prUrl);
    }, 'DEMO-4 to become a PR', 30_000);
    const prNumber = Number(/\/pull\/(\d+)$/.exec(done.prUrl!)?.[1]);

    // 4. Open the PR page through the panel's link.
    await page.goto(`${orchestrator.url}/admin/pulls`);
    await Promise.all([page.waitForURL(done.prUrl!), page.locator(`a[href="${done.prUrl}"]`).first().click()]);
    expect(await page.getByTestId('pr-title').textContent()).toContain('DEMO-4');
    await page.click('a:has-text("Files changed")');
    expect(await page.getByTestId('diff').textContent()).toContain('diff --git');
    await shoot(page, 'sandbox-pr-files');
    await page.click('a:has-text("Conversation")');

    // 5. Comment /ai-implement on the PR page; the issue_comment webhook starts the second run.
    await page.fill('#comment-body', '/ai-implement add a test for /ping');
    await Promise.all([page.waitForURL(done.prUrl!), page.getByRole('button', { name: 'Comment' }).click()]);
    expect(await page.textContent('body')).toContain('/ai-implement add a test for /ping');
    const second = await eventually(async () => {
      const runs = (await orchestrator.store.runs.listRuns({ limit: 50 })).items;
      return runs.find((r) => r.identifier === 'DEMO-4' && r.phase === 'gap-fill' && r.prNumber !== undefined);
    }, 'the gap-fill run', 15_000);
    expect(second.prNumber).toBe(prNumber);

    // 6. See the second run in the panels.
    await page.goto(`${orchestrator.url}/admin/runs/${encodeURIComponent(second.id)}`);
    expect(await page.textContent('body')).toContain('gap-fill');
    await shoot(page, 'sandbox-second-run');

    // The same from a terminal: npm run sandbox -- pulls finds this sandbox through its data directory.
    const cli = await run(process.execPath, ['--import', 'tsx', join(findProjectRoot(), 'scripts', 'sandbox.ts'), 'pulls'], { env: { ...process.env, DATA_DIR: dataDir } });
    expect(cli.stdout).toContain(`#${prNumber} open`);
    expect(github.state.pulls.length).toBeGreaterThanOrEqual(5);
  }, 90_000);
});

async function shoot(page: TestBrowser['page'], name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

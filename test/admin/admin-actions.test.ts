import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { SETTINGS } from '../../src/domain/settings-keys.js';
import { closeLoggedInSandbox, eventually, openLoggedInSandbox, screenshot, type SandboxServer, type TestBrowser } from './support/admin-browser.js';

/**
 * The panels' actions, driven through the browser against the sandbox
 * server: every change is then checked where it lands (store, emulators).
 */
describe('admin panel actions', () => {
  let server: SandboxServer;
  let browser: TestBrowser;
  let base: string;
  let flyRun: Run;

  beforeAll(async () => {
    ({ server, browser, base } = await openLoggedInSandbox());
  }, 90_000);

  afterAll(() => closeLoggedInSandbox({ server, browser }));

  it('creates a project through the 8-step stepper, fixing a missing default branch on the way', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/projects`);
    await Promise.all([page.waitForURL(/\/admin\/projects\/new$/), page.click('a:has-text("+ New project")')]);
    const next = () => Promise.all([page.waitForNavigation(), page.click('button[value=next]')]);
    const stepTitle = () => page.locator('.stepper li.current').textContent();
    await expect(stepTitle()).resolves.toBe('1. Ticketing system');
    await page.selectOption('#trackerKind', 'linear');
    await next();
    await expect(stepTitle()).resolves.toBe('2. Source');
    await page.fill('#teamKey', 'WEB');
    await next();
    await expect(stepTitle()).resolves.toBe('3. Repository');
    await page.fill('#owner', 'demo-org');
    await page.fill('#repo', 'demo-app');
    await next();
    // The branch is required: the server keeps the operator on this step and says why.
    await expect(stepTitle()).resolves.toBe('3. Repository');
    await expect(page.locator('.field.has-error .field-error').textContent()).resolves.toContain('Default branch is required');
    await screenshot(page, '20-stepper-branch-missing');
    await page.fill('#defaultBranch', 'main');
    await next();
    await expect(stepTitle()).resolves.toBe('4. Runner');
    await page.selectOption('#executionMode', 'local');
    await next();
    await expect(stepTitle()).resolves.toBe('5. Provider');
    await next();
    await expect(stepTitle()).resolves.toBe('6. Capacity');
    await expect(page.locator('#maxJobMinutes').getAttribute('placeholder')).resolves.toBe('90');
    await page.fill('#maxTurns', '30');
    await screenshot(page, '21-stepper-capacity');
    await next();
    await expect(stepTitle()).resolves.toBe('7. Secrets');
    await next();
    await expect(stepTitle()).resolves.toBe('8. Review');
    const review = await page.locator('dl.inputs').textContent();
    expect(review).toContain('demo-org/demo-app');
    expect(review).toContain('90 (default)');
    await screenshot(page, '22-stepper-review');
    await Promise.all([page.waitForURL(/\/admin\/projects\?notice=project-created/), page.click('button:has-text("Create project")')]);
    await expect(page.locator('.notice').textContent()).resolves.toContain('Project WEB was created');
    const mapping = await server.orchestrator.store.mappings.get('WEB');
    expect(mapping).toMatchObject({ trackerKind: 'linear', owner: 'demo-org', repo: 'demo-app', defaultBranch: 'main', maxTurns: 30, maxJobMinutes: 90, maxIterations: 3, executionMode: 'local' });
    const audit = await server.orchestrator.store.audit.list({ limit: 10 });
    expect(audit.items.map((e) => `${e.action} ${e.target}`)).toContain('mapping.create mapping:WEB');
  });

  it('pauses a project and edits its cap', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/projects`);
    const row = page.locator('tr[data-project="WEB"]');
    await Promise.all([page.waitForURL(/notice=paused/), row.locator('button:has-text("Pause")').click()]);
    await expect(page.locator('tr[data-project="WEB"] [data-state]').textContent()).resolves.toBe('paused');
    expect((await server.orchestrator.store.mappings.get('WEB'))?.paused).toBe(true);
    await page.fill('tr[data-project="WEB"] input[name=maxInProgressAiIssues]', '5');
    await Promise.all([page.waitForURL(/notice=cap-saved/), page.locator('tr[data-project="WEB"] button:has-text("Save")').click()]);
    expect((await server.orchestrator.store.mappings.get('WEB'))?.maxInProgressAiIssues).toBe(5);
    await screenshot(page, '23-projects-paused');
  });

  it('syncs the workflow templates into the target repository', async () => {
    const { page } = browser;
    const github = server.orchestrator.sandbox!.emulators.github;
    // The sandbox seeds the templates as a sync would; an edit on the default branch makes them stale again.
    github.state.setFile('demo-org', 'demo-app', 'main', '.github/workflows/claude-implement.yml', '# edited by hand\n');
    const pullsBefore = github.state.pulls.length;
    await page.goto(`${base}/admin/projects`);
    await Promise.all([page.waitForURL(/notice=synced/), page.locator('tr[data-project="DEMO"] button:has-text("Sync workflows")').click()]);
    await expect(page.locator('.notice').textContent()).resolves.toContain('Workflow templates were synced to demo-org/demo-app');
    // The sync proposes the templates as a pull request on the repository.
    expect(github.state.pulls.length).toBe(pullsBefore + 1);
  });

  it('switches the runner mode to fly on the Reaper panel', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/reaper`);
    await page.selectOption('#runner-mode-reaper', 'fly');
    await Promise.all([page.waitForURL(/notice=runner-mode/), page.click('form[action="/admin/runner-mode"] button')]);
    await expect(page.locator('.notice').textContent()).resolves.toContain('Runner mode is now fly');
    expect(await server.orchestrator.store.settings.get(SETTINGS.runnerMode)).toBe('fly');
    await screenshot(page, '24-reaper-runner-mode');
    await page.goto(`${base}/admin/runners`);
    await expect(page.locator('.kpi', { hasText: 'Runner mode' }).locator('.value').textContent()).resolves.toBe('fly');
    await expect(page.locator('tbody tr', { hasText: 'DEMO' }).textContent()).resolves.toContain('Fly Machines');
  });

  it('shows a live run’s progress bar advancing as the runner reports steps', async () => {
    const { orchestrator } = server;
    // A new labelled ticket; with runner mode fly the next poll starts it on a Fly machine (the emulator keeps it running).
    const issue = orchestrator.sandbox!.emulators.linear.store.addIssue({ team: 'DEMO', title: 'Add a /version endpoint', labels: ['AI-Implement'], state: 'Todo' });
    await orchestrator.services.runLoop.runNow();
    flyRun = await eventually(async () => {
      const runs = (await orchestrator.store.runs.listRuns({ issueId: issue.id, limit: 5 })).items;
      return runs.find((r) => r.backend === 'fly-machines' && r.status === 'launching' && r.upstreamId);
    }, 'a dispatched Fly run');
    const { page } = browser;
    await page.goto(`${base}/admin/runs/${flyRun.id}`);
    await expect(page.locator('#run-progress progress').getAttribute('value')).resolves.toBe('0');
    await screenshot(page, '25-run-live-start');

    const { progressToken } = orchestrator.services.tokens!.mint(flyRun.id, flyRun.attempt, flyRun.deadlineAt ?? new Date(Date.now() + 3_600_000).toISOString());
    const report = async (steps: object[]) => {
      const res = await fetch(`${base}/runner/progress`, { method: 'POST', headers: { authorization: `Bearer ${progressToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ runId: flyRun.id, attempt: flyRun.attempt, steps }) });
      expect(res.status).toBe(200);
    };
    const at = new Date().toISOString();
    await report([{ id: 'clone', type: 'clone', status: 'passed', startedAt: at, finishedAt: at, logExcerpt: 'Cloned demo-org/demo-app' }, { id: 'install', type: 'install', status: 'running', startedAt: at }]);
    // The page is not reloaded: the server pushes the change over its event stream.
    // Page-side expressions are strings: this project compiles without the DOM library.
    const barValue = () => page.evaluate<number>("document.querySelector('#run-progress progress').value");
    // admin.js mirrors each pushed percentage into data-percent; the panel's CSP forbids a string waitForFunction.
    await page.waitForSelector('#run-progress:not([data-percent="0"])', { timeout: 10_000 });
    const first = await barValue();
    expect(first).toBeGreaterThan(0);
    await expect(page.locator('[data-step-id="install"] .badge').textContent()).resolves.toBe('running');
    await report([{ id: 'install', type: 'install', status: 'passed', startedAt: at, finishedAt: new Date().toISOString() }, { id: 'implement', type: 'implement', status: 'passed', startedAt: at, finishedAt: new Date().toISOString() }, { id: 'verify', type: 'verify', status: 'running', startedAt: at }]);
    await page.waitForSelector(`#run-progress:not([data-percent="${first}"])`, { timeout: 10_000 });
    const second = await barValue();
    expect(second).toBeGreaterThan(first);
    await expect(page.locator('[data-progress-label]').textContent()).resolves.toContain('running verify');
    await expect(page.locator('[data-run-status]').textContent()).resolves.toBe('running');
    await screenshot(page, '26-run-live-progress');
  });

  it('destroys the Fly session after a confirm dialog and resets its ticket', async () => {
    const { orchestrator } = server;
    const linear = orchestrator.sandbox!.emulators.linear;
    expect(linear.labelNames(flyRun.issueId)).toContain('AI-Working');
    expect(await orchestrator.store.dedup.get(flyRun.issueId)).toBeDefined();
    const { page } = browser;
    await page.goto(`${base}/admin/sessions`);
    const row = page.locator(`tr[data-machine="${flyRun.upstreamId}"]`);
    await expect(row.textContent()).resolves.toContain(flyRun.identifier);
    await screenshot(page, '27-sessions');
    await row.locator('button:has-text("Destroy")').click();
    const dialog = page.locator('#confirm-dialog');
    await expect(dialog.locator('[data-confirm-message]').textContent()).resolves.toContain(`reset ${flyRun.identifier}`);
    await screenshot(page, '28-sessions-confirm');
    await Promise.all([page.waitForURL(/notice=session-destroyed/), dialog.locator('[data-confirm-ok]').click()]);
    await expect(page.locator('.notice').textContent()).resolves.toContain(`${flyRun.identifier} was reset`);
    expect(linear.labelNames(flyRun.issueId)).not.toContain('AI-Working');
    expect(await orchestrator.store.dedup.get(flyRun.issueId)).toBeUndefined();
    await expect(page.locator(`tr[data-machine="${flyRun.upstreamId}"]`).count()).resolves.toBe(0);
  });

  it('clears a dedup entry from the Audit log', async () => {
    const { page } = browser;
    const demo1 = (await server.orchestrator.store.dedup.listActive()).find((d) => d.identifier === 'DEMO-1');
    expect(demo1).toBeDefined();
    await page.goto(`${base}/admin/audit`);
    await page.locator('tr[data-dedup="DEMO-1"] button').click();
    await Promise.all([page.waitForURL(/notice=dedup-cleared/), page.locator('#confirm-dialog [data-confirm-ok]').click()]);
    expect(await server.orchestrator.store.dedup.get(demo1!.issueId)).toBeUndefined();
    await expect(page.locator('#audit-trail').textContent()).resolves.toContain('dedup.delete');
    await screenshot(page, '29-audit-after-delete');
  });
});

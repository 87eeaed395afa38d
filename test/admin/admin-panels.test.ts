import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, logIn, screenshot, startSandboxServer, waitForDemoLoop, type SandboxServer, type TestBrowser } from './support/admin-browser.js';

/**
 * Every panel in a real browser against the sandbox server, after the demo
 * loop turned the four demo tickets into pull requests by itself.
 */
describe('admin panels show the demo loop', () => {
  let server: SandboxServer;
  let browser: TestBrowser;
  let base: string;

  beforeAll(async () => {
    server = await startSandboxServer();
    base = server.orchestrator.url;
    browser = await launchBrowser();
    await waitForDemoLoop(server.orchestrator);
    // A full cycle after the runs ended, so the Issues and Blockers panels read a current poll.
    await server.orchestrator.services.runLoop.runNow();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sends a visitor without a session to the login form and refuses a wrong code', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/jobs`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#code', 'not-the-access-code');
    await page.click('button[type=submit]');
    await expect(page.locator('.error-box').textContent()).resolves.toContain('not right');
    await screenshot(page, '00-login-refused');
    await logIn(page, server.orchestrator);
    const cookies = await browser.context.cookies(base);
    const session = cookies.find((c) => c.name === 'ai_implement_admin');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Scripts on the page cannot read the session.
    // Page-side expressions are strings: this project compiles without the DOM library.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('ai_implement_admin');
  });

  it('Overview: KPI cards, running and failed jobs, capacity and a 24-hour SVG trend with hourly buckets', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview');
    const kpis = await page.locator('.kpi .label').allTextContents();
    expect(kpis).toEqual(['Running jobs', 'Failed (24 h)', 'Capacity used', 'Projects at cap', 'Stale templates']);
    expect(await page.locator('.chart svg rect.bar-dispatched').count()).toBe(24);
    expect(await page.locator('.chart svg rect.bar-failed').count()).toBe(24);
    await expect(page.locator('.legend').textContent()).resolves.toContain('Dispatched (4)');
    const capacity = await page.locator('.card:has(h2:text-is("Capacity by project"))').textContent();
    expect(capacity).toContain('DEMO');
    expect(capacity).toContain('OPS');
    await expect(page.locator('.card:has(h2:text-is("Failed in the last 24 hours"))').textContent()).resolves.toContain('No failed jobs');
    await screenshot(page, '01-overview');
  });

  it('Issues: the demo tickets with their state, and in-progress counts per project', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/issues`);
    const table = await page.locator('table.data').first().textContent();
    for (const id of ['DEMO-1', 'DEMO-2', 'DEMO-3', 'OPS-1']) expect(table).toContain(id);
    expect(table).toContain('implement: pr_opened');
    await expect(page.locator('.card:has(h2:text-is("In progress by project"))').textContent()).resolves.toContain('DEMO');
    await screenshot(page, '02-issues');
  });

  it('Pipelines: the dispatch log with PR links, filters, and a run page with its finished step tree', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/jobs`);
    const row = page.locator('tbody tr', { hasText: 'DEMO-1' });
    await expect(row.locator('a[href*="/demo-org/demo-app/pull/"]').count()).resolves.toBe(1);
    await expect(row.locator('td[data-value="0"]').textContent()).resolves.toBe('$0.0000');
    await expect(page.locator('tbody tr').count()).resolves.toBe(4);
    await screenshot(page, '03-pipelines');
    await page.selectOption('#f-mapping', 'OPS');
    await Promise.all([page.waitForURL(/mapping=OPS/), page.click('form button[type=submit]:has-text("Filter")')]);
    const filtered = await page.locator('tbody tr').allTextContents();
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toContain('OPS-1');
    await page.goto(`${base}/admin/jobs?status=failed`);
    await expect(page.locator('.empty').textContent()).resolves.toContain('No dispatches match');
    await page.goto(`${base}/admin/jobs`);
    await Promise.all([page.waitForURL(/\/admin\/runs\//), row.locator('td').nth(1).locator('a').click()]);
    await expect(page.locator('h1').textContent()).resolves.toContain('DEMO-1');
    await expect(page.locator('#run-progress progress').getAttribute('value')).resolves.toBe('100');
    const steps = await page.locator('[data-step-tree] .step').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-step-id')}:${el.querySelector('.badge')?.textContent}`));
    expect(steps).toEqual(expect.arrayContaining(['clone:passed', 'implement:passed', 'push:passed', 'open-pr:passed']));
    await expect(page.locator('a.button', { hasText: 'Pull request' }).count()).resolves.toBe(1);
    await expect(page.locator('dl.inputs').textContent()).resolves.toContain('demo-org/demo-app@main');
    // The demo agent reports tokens and a zero cost; the page shows them as the ticket's final comment does.
    const usage = page.locator('[data-run-usage]');
    await expect(usage.locator('p').textContent()).resolves.toMatch(/^Done by demo — [\d,]+ in \/ [\d,]+ out tokens, \$0\.0000$/);
    expect(await usage.locator('dt').allTextContents()).toEqual(['Agent', 'Model', 'Input tokens', 'Output tokens', 'Cache read tokens', 'Cache write tokens', 'Cost']);
    await expect(usage.locator('dd').last().textContent()).resolves.toBe('$0.0000');
    await screenshot(page, '04-run-page');
  });

  it('Pull requests: every bot PR with its issue, status, iteration and GitHub link', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/pulls`);
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    const demo1 = await rows.filter({ hasText: 'DEMO-1' }).textContent();
    expect(demo1).toContain('completed');
    expect(demo1).toContain('demo-org/demo-app');
    await screenshot(page, '05-pulls');
  });

  it('Blockers: KPI cards and the "why isn’t this running?" explanations', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/blockers`);
    expect(await page.locator('.kpi .label').allTextContents()).toEqual(['Blocked issues', 'Teams affected', 'By concurrency cap', 'By dedup window']);
    await expect(page.locator('details.card').textContent()).resolves.toContain('Its project is at its cap of in-progress tickets');
    await screenshot(page, '06-blockers');
  });

  it('Projects, Pipelines & steps and Models & providers read the configuration', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/projects`);
    await expect(page.locator('tr[data-project="DEMO"]').textContent()).resolves.toContain('demo-org/demo-app');
    await expect(page.locator('tr[data-project="OPS"]').textContent()).resolves.toContain('project = OPS');
    await screenshot(page, '07-projects');
    await page.goto(`${base}/admin/pipelines-steps`);
    await expect(page.locator('details.pipeline summary', { hasText: 'implement' }).first().count()).resolves.toBe(1);
    await expect(page.locator('table.data').textContent()).resolves.toContain('feedback-loop');
    await page.locator('details.pipeline', { hasText: 'implement' }).first().locator('summary').click();
    await screenshot(page, '08-pipelines-steps');
    await page.goto(`${base}/admin/models`);
    const values = await page.locator('.kpi').evaluateAll((els) => els.map((el) => `${el.querySelector('.label')?.textContent}=${el.querySelector('.value')?.textContent}`));
    expect(values).toEqual(['Projects=2', 'Anthropic=2', 'Bedrock=0', 'Bedrock regions=0']);
    await expect(page.locator('tbody').textContent()).resolves.toContain('demo');
    await screenshot(page, '09-models');
  });

  it('Runners, Sessions, Reaper, Secrets and Settings show the platform', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/runners`);
    await expect(page.locator('tbody tr', { hasText: 'DEMO' }).textContent()).resolves.toContain('Local');
    await screenshot(page, '10-runners');
    await page.goto(`${base}/admin/sessions`);
    await expect(page.locator('.empty').textContent()).resolves.toContain('No live Fly sessions');
    await screenshot(page, '11-sessions');
    await page.goto(`${base}/admin/reaper`);
    await expect(page.locator('table.data').first().textContent()).resolves.toContain('max-age-exceeded');
    await screenshot(page, '12-reaper');
    await page.goto(`${base}/admin/secrets?team=DEMO`);
    await expect(page.locator('h3').textContent()).resolves.toBe('DEMO');
    await screenshot(page, '13-secrets');
    await page.goto(`${base}/admin/settings`);
    // Sandbox mode sets FLY_SESSIONS_APP, so the environment wins over the stored value.
    await expect(page.locator('tbody tr', { hasText: 'Fly sessions app' }).textContent()).resolves.toContain('env wins');
    await screenshot(page, '14-settings');
  });

  it('Audit log and Customizations: the dedup window with delete buttons, the trail, the custom/ files', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/audit`);
    const dedup = page.locator('tr[data-dedup="DEMO-1"]');
    await expect(dedup.locator('button', { hasText: 'Delete' }).count()).resolves.toBe(1);
    await screenshot(page, '15-audit');
    await page.goto(`${base}/admin/customizations`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Customizations');
    await screenshot(page, '16-customizations');
  });

  it('reads in the dark theme and on a phone-sized screen', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin`);
    await page.click('[data-theme-toggle]');
    expect(await page.evaluate<string>("document.documentElement.getAttribute('data-theme')")).toBe('dark');
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(15, 19, 26)');
    await screenshot(page, '17-overview-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/admin/jobs`);
    // The sidebar folds into a menu; the table scrolls inside its card, not the page.
    expect(await page.locator('nav.sidebar').isVisible()).toBe(false);
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(page, '18-pipelines-phone');
    await page.click('label.menu-button');
    expect(await page.locator('nav.sidebar').isVisible()).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('logs out, and the old session no longer opens a panel', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin`);
    await Promise.all([page.waitForURL(/\/admin\/login/), page.click('button:has-text("Log out")')]);
    await expect(page.locator('.notice').textContent()).resolves.toContain('logged out');
    await page.goto(`${base}/admin/projects`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
  });
});

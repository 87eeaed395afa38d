import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../api/support/api-client.js';
import { closeLoggedInSandbox, openLoggedInSandbox, screenshot, type SandboxServer, type TestBrowser } from './support/admin-browser.js';

/**
 * The Pipelines list in a browser (issue 19, items 6 and 11): a summary card
 * is a link that applies its status filter, and a run started elsewhere
 * appears in the open list without a reload.
 */
describe('run list: summary cards and live updates', () => {
  let server: SandboxServer;
  let browser: TestBrowser;
  let base: string;

  beforeAll(async () => {
    ({ server, browser, base } = await openLoggedInSandbox());
  }, 90_000);

  afterAll(() => closeLoggedInSandbox({ server, browser }));

  it('filters the list by clicking a summary card, and clicking it again clears that filter', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/jobs`);
    const all = await page.locator('#run-list tbody tr').count();
    expect(all).toBeGreaterThanOrEqual(4);
    const card = page.locator('[data-status-card="pr_opened"]');
    const count = Number(await card.locator('.value').textContent());
    expect(count).toBeGreaterThan(0);
    await Promise.all([page.waitForURL(/status=pr_opened/), card.click()]);
    const rows = page.locator('#run-list tbody tr');
    expect(await rows.count()).toBe(count);
    const statuses = await rows.locator('.badge', { hasText: ': ' }).allTextContents();
    expect(statuses).toHaveLength(count);
    for (const badge of statuses) expect(badge).toMatch(/: pr_opened$/);
    await expect(page.locator('[data-status-card="pr_opened"]').getAttribute('aria-current')).resolves.toBe('true');
    // The other cards keep counting for the other filters, so the next click moves straight to another status.
    await expect(page.locator('[data-status-card="failed"] .value').textContent()).resolves.toMatch(/^\d+$/);
    await screenshot(page, '40-run-list-card-filter');
    await Promise.all([page.waitForURL(`${base}/admin/jobs`), page.locator('[data-status-card="pr_opened"]').click()]);
    expect(await page.locator('#run-list tbody tr').count()).toBe(all);
  });

  it('shows a run started elsewhere in the open list without a reload', async () => {
    const { page } = browser;
    await page.goto(`${base}/admin/jobs`);
    await page.evaluate('window.notReloaded = true');
    const before = await page.locator('#run-list tbody tr').count();
    const api = apiClient(base);
    const token = await api.login(server.orchestrator.config.adminAccessCode!);
    const added = await api.call('POST', '/api/sandbox/tickets', { token, body: { title: 'Live list check' } });
    expect(added.status, JSON.stringify(added.body)).toBeLessThan(300);
    const subject = String(added.body.subject);
    await page.locator('#run-list tbody tr', { hasText: subject }).first().waitFor({ timeout: 20_000 });
    expect(await page.locator('#run-list tbody tr').count()).toBeGreaterThan(before);
    // The same document: the list was swapped in place, not reloaded.
    await expect(page.evaluate<boolean | undefined>('window.notReloaded')).resolves.toBe(true);
    await screenshot(page, '41-run-list-live');
  });
});

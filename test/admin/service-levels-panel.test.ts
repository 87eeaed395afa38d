import { SUCCESSFUL_RUN_STATUSES, UNSUCCESSFUL_RUN_STATUSES } from '../../src/domain/run-status.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLoggedInSandbox, openLoggedInSandbox, screenshot, type SandboxServer, type TestBrowser } from './support/admin-browser.js';

/**
 * The Overview's service-level panel (issue 19, item 10) in a browser,
 * against the sandbox server: the demo loop's runs (the real runner CLI with
 * the demo agent, reporting its first model request through the runner
 * protocol) show up as figures, agreeing with the store.
 */
describe('the service-level panel shows figures from runs just made', () => {
  let server: SandboxServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    ({ server, browser } = await openLoggedInSandbox());
  }, 90_000);

  afterAll(() => closeLoggedInSandbox({ server, browser }));

  it('lists each demo project with its latencies, success rate and merge rate over 24 h and 7 days', async () => {
    const { page } = browser;
    const runs = (await server.orchestrator.store.runs.listRuns({ limit: 100 })).items.filter((r) => !r.shadowOf);
    // The runner reported when the agent first asked its model: the protocol carried it from the runner CLI.
    expect(runs.filter((r) => r.firstModelRequestAt !== undefined).length).toBeGreaterThan(0);
    const byMapping = new Map<string, typeof runs>();
    for (const run of runs) byMapping.set(run.mappingKey, [...(byMapping.get(run.mappingKey) ?? []), run]);

    await page.goto(`${server.orchestrator.url}/admin`);
    const panel = page.locator('[data-testid=service-levels]');
    await expect(panel.locator('h2').textContent()).resolves.toBe('Service levels');
    for (const [mappingKey, own] of byMapping) {
      for (const window of ['24h', '7d']) {
        const row = panel.locator(`tr[data-group="project:${mappingKey}"][data-window="${window}"]`);
        const succeeded = own.filter((r) => SUCCESSFUL_RUN_STATUSES.includes(r.status)).length;
        const finished = own.filter((r) => SUCCESSFUL_RUN_STATUSES.includes(r.status) || UNSUCCESSFUL_RUN_STATUSES.includes(r.status)).length;
        await expect(row.locator('[data-cell=success-rate]').textContent()).resolves.toBe(`${Math.round((succeeded / finished) * 100)}% (${finished})`);
        const withPr = own.filter((r) => SUCCESSFUL_RUN_STATUSES.includes(r.status) && r.prNumber !== undefined && (r.phase === 'implement' || r.phase === 'plan'));
        const toPr = (await row.locator('[data-cell=time-to-pr]').textContent())?.trim();
        if (withPr.length > 0) expect(toPr).toMatch(/^\S+ \/ \S+$/);
        else expect(toPr).toBe('—');
        const firstModel = (await row.locator('[data-cell=first-model]').textContent())?.trim();
        if (own.some((r) => r.firstModelRequestAt)) expect(firstModel).not.toBe('—');
        // A latency chart per row: four bars, each titled with its figure.
        await expect(row.locator('svg rect').count()).resolves.toBe(4);
      }
    }
    // And per repository: the demo projects' repository has a row too.
    await expect(panel.locator('tr[data-group^="repository:"]').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, '40-service-levels');
  }, 60_000);

  it('serves the same figures on /metrics, labelled by project and repository', async () => {
    const text = await (await fetch(`${server.orchestrator.url}/metrics`)).text();
    const mappingKey = (await server.orchestrator.store.runs.listRuns({ limit: 1 })).items[0]!.mappingKey;
    expect(text).toMatch(new RegExp(`ai_implement_service_level_ratio\\{mapping="${mappingKey}",repo="",measure="success",window="24h"\\} 1`));
    expect(text).toMatch(new RegExp(`ai_implement_service_level_seconds\\{mapping="${mappingKey}",repo="",measure="time_to_pr",quantile="0.95",window="7d"\\} \\d`));
    expect(text).toMatch(/ai_implement_spend_month_usd\{mapping="DEMO"\} 0/);
  });
});

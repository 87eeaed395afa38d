import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/app.js';
import { isTerminal } from '../../../src/domain/run-status.js';
import { findProjectRoot } from '../../../src/package-info.js';

/** Debian's chromium; `npm test` installs it through scripts/ensure-chromium.sh. Playwright never downloads one. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(findProjectRoot(), 'test-artifacts', 'admin');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

/** A fresh profile per launch, so no cookie or theme choice leaks from one test file to the next. */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "bash scripts/ensure-chromium.sh" (npm test does it)`);
  const profile = mkdtempSync(join(tmpdir(), 'ai-implement-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface SandboxServer {
  orchestrator: RunningOrchestrator;
  stop: () => Promise<void>;
}

/** The real server in sandbox mode: emulators, demo projects and tickets, the demo loop running by itself. */
export async function startSandboxServer(env: Record<string, string> = {}): Promise<SandboxServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-admin-'));
  const orchestrator = await startOrchestrator({
    env: { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', ...env },
    print: () => undefined,
    logDestination: new Writable({ write: (_c, _e, done) => done() }),
  });
  return {
    orchestrator,
    stop: async () => {
      await orchestrator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the demo loop turned all four demo tickets into pull requests and their runs ended. */
export async function waitForDemoLoop(orchestrator: RunningOrchestrator, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await orchestrator.store.runs.listRuns({ limit: 50 })).items;
    if (orchestrator.sandbox!.emulators.github.state.pulls.length >= 4 && runs.length >= 4 && runs.every((r) => isTerminal(r.status))) return;
    if (Date.now() > deadline) throw new Error(`demo loop did not finish: ${runs.map((r) => `${r.identifier}=${r.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function logIn(page: Page, orchestrator: RunningOrchestrator): Promise<void> {
  await page.goto(`${orchestrator.url}/admin/login`);
  await page.fill('#code', orchestrator.config.adminAccessCode!);
  await Promise.all([page.waitForURL(`${orchestrator.url}/admin`), page.click('button[type=submit]')]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Polls a condition in the test process (store state changed by a background loop). */
export async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface LoggedInSandbox {
  server: SandboxServer;
  browser: TestBrowser;
  /** The server's URL. */
  base: string;
}

/** The sandbox server after its demo loop, and a browser logged in to its panels: what most panel suites start from. */
export async function openLoggedInSandbox(): Promise<LoggedInSandbox> {
  const server = await startSandboxServer();
  const browser = await launchBrowser();
  await waitForDemoLoop(server.orchestrator);
  await logIn(browser.page, server.orchestrator);
  return { server, browser, base: server.orchestrator.url };
}

export async function closeLoggedInSandbox(opened: Partial<LoggedInSandbox>): Promise<void> {
  await opened.browser?.close();
  await opened.server?.stop();
}

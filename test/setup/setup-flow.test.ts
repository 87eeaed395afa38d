import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { readEnvFile } from '../../src/setup/env-file.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { auditGitHub, auditJira, auditLinear, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

const appYml = readFileSync(new URL('../../app.yml', import.meta.url), 'utf8');
const PUBLIC_URL = 'https://ai-implement.example.test';

const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');

function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form on the page:\n${html}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields[m[1]!] = unescapeHtml(m[2]!);
  return { action: unescapeHtml(action), fields };
}

/** What a person does in the browser: open setup's page, which posts the manifest; press "Create GitHub App"; follow the redirect back. */
async function createAppInBrowser(localUrl: string): Promise<{ callback: Response; callbackUrl: URL }> {
  const start = formOf(await (await fetch(localUrl)).text());
  const confirmPage = await fetch(start.action, { method: 'POST', body: new URLSearchParams({ manifest: start.fields.manifest! }) });
  expect(confirmPage.status).toBe(200);
  const confirm = formOf(await confirmPage.text());
  const created = await fetch(new URL(confirm.action, start.action), { method: 'POST', body: new URLSearchParams({ ...confirm.fields, confirm: '1' }), redirect: 'manual' });
  expect(created.status).toBe(302);
  const callbackUrl = new URL(created.headers.get('location')!);
  return { callback: await fetch(callbackUrl), callbackUrl };
}

interface Session {
  output: () => string;
  done: Promise<number>;
  waitFor: (pattern: RegExp) => Promise<RegExpExecArray>;
}

function startSetup(argv: string[]): Session {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const done = runSetup({ argv, env: {}, input: new PassThrough(), output: out, cwd: tmpdir(), appYml, manifestTimeoutMs: 20_000 });
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 400; i += 1) {
      const m = pattern.exec(text);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`setup never printed ${pattern}:\n${text}`);
  };
  return { output: () => text, done, waitFor };
}

describe('npm run setup against the emulators', () => {
  const github = new GitHubEmulator();
  const linear = new LinearEmulator({ apiKey: 'lin_api_setup_key_0123456789' });
  const jira = new JiraEmulator({ apiToken: 'jira-setup-token-0123456789' });
  const githubAudit = auditGitHub(github.server);
  const jiraAudit = auditJira(jira.server);
  const linearAudit = auditLinear(linear.server);
  let dir: string;
  let envFile: string;

  const args = (extra: Record<string, string> = {}) => {
    const flags: Record<string, string> = {
      '--env-file': envFile,
      '--public-url': PUBLIC_URL,
      '--ghe-host': new URL(github.url).host,
      '--ghe-protocol': 'http',
      '--github-org': 'acme',
      '--linear-api-key': linear.apiKey,
      '--linear-api-url': linear.apiUrl,
      '--linear-webhook-secret': 'linear-signing-secret-abcdef',
      '--jira-base-url': jira.url,
      '--jira-email': jira.email,
      '--jira-api-token': jira.apiToken,
      ...extra,
    };
    return ['--non-interactive', ...Object.entries(flags).flat()];
  };

  beforeAll(async () => {
    await Promise.all([github.start(), linear.start(), jira.start()]);
    linear.store.addTeam({ key: 'ENG', name: 'Engineering' });
    jira.store.addProject('OPS', 'Operations');
  });
  afterAll(async () => {
    await Promise.all([github.stop(), linear.stop(), jira.stop()]);
    expectTrueToVendor(githubAudit, 'GitHub');
    expectTrueToVendor(jiraAudit, 'Jira');
    expectTrueToVendor(linearAudit, 'Linear');
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-implement-setup-'));
    envFile = join(dir, '.env');
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('creates the App through the manifest flow, checks Linear and Jira, and writes a 0600 .env the config loader accepts', async () => {
    const session = startSetup(args());
    const [localUrl] = await session.waitFor(/http:\/\/127\.0\.0\.1:\d+\//);
    const { callback } = await createAppInBrowser(localUrl);
    expect(callback.status).toBe(200);
    expect(await session.done).toBe(0);
    const out = session.output();

    expect(out).toContain('acts as AI-Implement <ai-implement@apps.linear.test>');
    expect(out).toContain('ENG (Engineering)');
    expect(out).toContain('OPS (Operations)');
    const app = [...github.state.apps.values()].at(-1)!;
    expect(app.owner.login).toBe('acme');
    expect(app.events).toEqual(['issue_comment', 'pull_request', 'pull_request_review', 'pull_request_review_comment', 'workflow_run']);
    expect(app.permissions).toMatchObject({ contents: 'write', pull_requests: 'write', workflows: 'write', metadata: 'read' });
    expect(app.hookUrl).toBe(`${PUBLIC_URL}/api/github/webhook`);
    expect(out).toContain(`${github.url}/apps/${app.slug}/installations/new`);

    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const env = readEnvFile(envFile);
    expect(env.APP_ID).toBe(String(app.id));
    expect(env.GITHUB_WEBHOOK_SECRET).toBe(app.webhookSecret);
    expect(statSync(env.PRIVATE_KEY_PATH!).mode & 0o777).toBe(0o600);
    const config = loadConfig(env);
    expect(config.sandbox).toBe(false);
    expect(config.github.baseUrl).toBe(`${github.url}/api/v3`);
    expect(config.linear.apiKey).toBe(linear.apiKey);
    expect(config.jira).toMatchObject({ host: jira.url, email: jira.email, apiToken: jira.apiToken });
    expect(config.secretsEncryptionKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(config.adminAccessCode!.length).toBeGreaterThanOrEqual(20);

    // The App works with GitHub: its key signs JWTs the emulator takes, as the orchestrator's Probot will.
    const { createAppAuth } = await import('@octokit/auth-app');
    const asApp = new Octokit({ authStrategy: createAppAuth, auth: { appId: app.id, privateKey: config.github.privateKey }, baseUrl: config.github.baseUrl });
    expect((await asApp.rest.apps.getAuthenticated()).data).toMatchObject({ id: app.id, slug: app.slug });

    // Secrets appear on the terminal by fingerprint only.
    for (const secret of [config.github.privateKey!.split('\n')[1]!, env.GITHUB_WEBHOOK_SECRET!, linear.apiKey, jira.apiToken, env.ADMIN_ACCESS_CODE!, env.SECRETS_ENCRYPTION_KEY!, 'linear-signing-secret-abcdef', env.JIRA_WEBHOOK_SECRET!]) {
      expect(out).not.toContain(secret);
    }
  });

  it('refuses a redirect whose state it did not send, and goes on to take the right one', async () => {
    // App names are unique on a GitHub; the first test took app.yml's.
    const session = startSetup(args({ '--app-name': 'AI-Implement staging' }));
    const [localUrl] = await session.waitFor(/http:\/\/127\.0\.0\.1:\d+\//);
    const forged = await fetch(new URL('/callback?code=forged-code&state=not-mine', localUrl));
    expect(forged.status).toBe(400);
    const sentence = 'The redirect back from GitHub carried a state that this setup did not send, so its code was not used';
    expect(await forged.text()).toContain(sentence);
    expect(session.output()).toContain(sentence);
    const { callback } = await createAppInBrowser(localUrl);
    expect(callback.status).toBe(200);
    expect(await session.done).toBe(0);
    expect(readEnvFile(envFile).APP_ID).toBeDefined();
  });

  it('says the Linear key was refused, and creates nothing', async () => {
    const apps = github.state.apps.size;
    const session = startSetup(args({ '--linear-api-key': 'lin_api_wrong' }));
    expect(await session.done).toBe(1);
    expect(session.output()).toContain('setup: Linear refused the API key (401): it is mistyped, revoked or not a personal API key');
    expect(github.state.apps.size).toBe(apps);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says the Jira token was refused, naming the account, and creates nothing', async () => {
    const session = startSetup(args({ '--jira-api-token': 'not-the-token' }));
    expect(await session.done).toBe(1);
    expect(session.output()).toContain(`setup: Jira at ${jira.url} refused the e-mail and API token (401/403): the token must belong to ${jira.email}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves an existing .env alone unless told to replace it, then backs it up and keeps its encryption key', async () => {
    writeFileSync(envFile, 'SECRETS_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nDATABASE_URL=postgres://u:p@db.example.test:5432/ai\n', { mode: 0o600 });
    const before = readFileSync(envFile, 'utf8');
    const refused = startSetup([...args(), '--skip-github']);
    expect(await refused.done).toBe(1);
    expect(refused.output()).toContain(`setup: ${envFile} already exists and was left as it is: run setup again and confirm, pass --overwrite`);
    expect(readFileSync(envFile, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['.env']);

    const replaced = startSetup([...args(), '--skip-github', '--overwrite']);
    expect(await replaced.done).toBe(0);
    const backups = readdirSync(dir).filter((f) => f.startsWith('.env.bak-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0]!), 'utf8')).toBe(before);
    expect(statSync(join(dir, backups[0]!)).mode & 0o777).toBe(0o600);
    const env = readEnvFile(envFile);
    expect(env.SECRETS_ENCRYPTION_KEY).toBe('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    expect(env.DATABASE_URL).toBe('postgres://u:p@db.example.test:5432/ai');
    expect(env.LINEAR_API_KEY).toBe(linear.apiKey);
  });

  it('prints the config loader’s own sentence when the file it wrote is refused', async () => {
    // A line kept from the previous file that the server would refuse at boot.
    writeFileSync(envFile, 'LEADER_LEASE_TTL_MS=soon\n', { mode: 0o600 });
    const session = startSetup([...args(), '--skip-github', '--skip-jira', '--overwrite']);
    expect(await session.done).toBe(1);
    expect(session.output()).toContain(`The configuration loader refuses ${envFile}; fix these lines and start again:`);
    expect(session.output()).toContain('LEADER_LEASE_TTL_MS must be a whole number from 500 to 600000 (got "soon"), e.g. 30000');
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { readEnvFile } from '../../src/setup/env-file.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/** `npm run setup` as a person runs it, its answers typed on stdin (a pipe here, not a terminal). */
function runScript(args: string[], answers: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [join(root, 'scripts', 'setup.ts'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(answers.map((a) => `${a}\n`).join(''));
  });
}

describe('npm run setup answering questions on stdin', () => {
  const linear = new LinearEmulator({ apiKey: 'lin_api_typed_key_0123456789' });
  const jira = new JiraEmulator({ apiToken: 'jira-typed-token-0123456789' });
  let dir: string;

  beforeAll(async () => {
    await Promise.all([linear.start(), jira.start()]);
  });
  afterAll(() => Promise.all([linear.stop(), jira.stop()]));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-implement-setup-tty-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('asks again after a refused Linear key, takes Jira, skips the App, and writes .env', async () => {
    const answers = ['https://ai-implement.example.test', 'lin_api_typo', linear.apiKey, 'linear-signing-secret-typed', jira.url, jira.email, jira.apiToken, 'n'];
    const { code, out } = await runScript(['--linear-api-url', linear.apiUrl], answers, dir);
    expect(out).toContain('Linear refused the API key (401)');
    expect(out).toContain('Linear key accepted');
    expect(out).toContain('Jira credentials accepted');
    expect(out).toContain('GitHub App skipped');
    expect(code).toBe(0);
    const envFile = join(dir, '.env');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const env = readEnvFile(envFile);
    expect(env).toMatchObject({ LINEAR_API_KEY: linear.apiKey, LINEAR_WEBHOOK_SECRET: 'linear-signing-secret-typed', JIRA_HOST: jira.url, JIRA_API_TOKEN: jira.apiToken });
    expect(env.APP_ID).toBeUndefined();
    expect(loadConfig(env).sandbox).toBe(true);
    expect(out).not.toContain(linear.apiKey);
    expect(out).not.toContain(jira.apiToken);
  }, 120_000);

  it('keeps an existing .env when the overwrite question is answered no', async () => {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, 'ADMIN_ACCESS_CODE=an-access-code-of-some-length\n', { mode: 0o600 });
    const { code, out } = await runScript([], ['n'], dir);
    expect(code).toBe(1);
    expect(out).toContain(`${envFile} already exists. Back it up to .env.bak-<time> and write a new one? (y/N)`);
    expect(out).toContain(`setup: ${envFile} already exists and was left as it is`);
    expect(readFileSync(envFile, 'utf8')).toBe('ADMIN_ACCESS_CODE=an-access-code-of-some-length\n');
    expect(readdirSync(dir)).toEqual(['.env']);
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderEnvFile } from '../../src/setup/env-file.js';
import { buildGitHubAppManifest } from '../../src/setup/github-app-manifest.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { parseSetupOptions, UsageError } from '../../src/setup/setup-options.js';

const appYml = readFileSync(new URL('../../app.yml', import.meta.url), 'utf8');

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const code = await runSetup({ argv, env: {}, input: new PassThrough(), output: out, cwd: tmpdir(), appYml });
  return { code, out: text };
}

describe('the GitHub App manifest setup builds from app.yml', () => {
  it('has the fields GitHub documents, with this installation’s URLs', () => {
    const manifest = buildGitHubAppManifest({ appYml, publicUrl: 'https://ai.example.test', redirectUrl: 'http://127.0.0.1:4000/callback' });
    expect(manifest).toMatchObject({
      name: 'AI-Implement',
      url: 'https://github.com/ai-implement/ai-implement',
      hook_attributes: { url: 'https://ai.example.test/api/github/webhook', active: true },
      redirect_url: 'http://127.0.0.1:4000/callback',
      callback_urls: ['https://ai.example.test/admin'],
      public: false,
      default_permissions: { metadata: 'read', contents: 'write', pull_requests: 'write', issues: 'write', actions: 'write', workflows: 'write' },
      default_events: ['issue_comment', 'pull_request', 'pull_request_review', 'pull_request_review_comment', 'workflow_run'],
    });
    expect(buildGitHubAppManifest({ appYml, publicUrl: 'https://ai.example.test', redirectUrl: 'http://127.0.0.1:1/c', name: 'AI-Implement (acme)' }).name).toBe('AI-Implement (acme)');
  });
});

describe('setup options and answers', () => {
  it('names an unknown flag and a flag missing its value, with an example', () => {
    expect(() => parseSetupOptions(['--public-ulr', 'x'], {})).toThrow(new UsageError('unknown option "--public-ulr"; e.g. npm run setup -- --public-url https://ai-implement.example.com (see --help)'));
    expect(() => parseSetupOptions(['--public-url'], {})).toThrow('--public-url needs a value, e.g. --public-url https://ai-implement.example.com');
    expect(parseSetupOptions(['--jira-base-url=https://acme.atlassian.net'], { LINEAR_API_KEY: 'lin_api_env' })).toMatchObject({ jiraBaseUrl: 'https://acme.atlassian.net', linearApiKey: 'lin_api_env', envFile: '.env' });
  });

  it('exits 2 on bad usage and 1 with a sentence on a public URL that is not https', async () => {
    expect(await run(['--bogus'])).toMatchObject({ code: 2 });
    const plainHttp = await run(['--non-interactive', '--env-file', `${tmpdir()}/never-written.env`, '--public-url', 'http://ai.example.test']);
    expect(plainHttp.code).toBe(1);
    expect(plainHttp.out).toContain('setup: The public URL (--public-url) must be https (plain http only on this machine)');
    const missing = await run(['--non-interactive', '--env-file', `${tmpdir()}/never-written.env`]);
    expect(missing.out).toContain('setup: The public URL (--public-url) is required');
  });

  it('writes only values an env file reads back unchanged', () => {
    expect(renderEnvFile([{ name: 'LINEAR_API_KEY', value: 'lin_api_x' }], new Date(0))).toContain('\nLINEAR_API_KEY=lin_api_x\n');
    expect(() => renderEnvFile([{ name: 'JIRA_API_TOKEN', value: '"quoted"' }], new Date(0))).toThrow('JIRA_API_TOKEN cannot be written to an env file as it is');
    expect(() => renderEnvFile([{ name: 'JIRA_API_TOKEN', value: 'a\nb' }], new Date(0))).toThrow('JIRA_API_TOKEN holds a line break');
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/runner/run-command.js';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';

/** What the runner does: the token in an extra header, never in the URL or argv. */
function gitWith(token: string | undefined) {
  const basic = token ? Buffer.from(`x-access-token:${token}`).toString('base64') : undefined;
  return (cwd: string, ...args: string[]) =>
    runCommand('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: cwd,
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'agent',
        GIT_AUTHOR_EMAIL: 'agent@example.com',
        GIT_COMMITTER_NAME: 'agent',
        GIT_COMMITTER_EMAIL: 'agent@example.com',
        ...(basic ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraheader', GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}` } : {}),
      },
      timeoutMs: 30_000,
    });
}

describe('GitHub emulator: git over HTTP', () => {
  const github = new GitHubEmulator();
  let dir: string;
  let url: string;
  beforeAll(async () => {
    await github.start();
    dir = await mkdtemp(join(tmpdir(), 'emulator-git-'));
    github.state.addRepo({ owner: 'acme', name: 'web', files: { 'README.md': '# web\n', 'src/app.ts': 'export const app = 1;\n' } });
    url = `${github.url}/acme/web.git`;
  });
  afterAll(async () => {
    await github.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('clones the default branch with an installation token and mirrors a pushed branch into the REST state', async () => {
    const installation = github.state.installationFor('acme')!;
    const token = github.issueToken(installation.id, { permissions: { contents: 'write', pull_requests: 'write' } }).token;
    const git = gitWith(token);
    const clone = await git(dir, 'clone', '--quiet', url, 'web');
    expect(clone.exitCode, clone.output).toBe(0);
    const work = join(dir, 'web');
    expect(await readFile(join(work, 'src/app.ts'), 'utf8')).toBe('export const app = 1;\n');
    await git(work, 'checkout', '-q', '-b', 'ai-implement/eng-1-change');
    await writeFile(join(work, 'src/app.ts'), 'export const app = 2;\n');
    await git(work, 'commit', '-qam', 'ENG-1: change the app');
    const push = await git(work, 'push', '-q', 'origin', 'HEAD');
    expect(push.exitCode, push.output).toBe(0);
    expect(github.state.readFile('acme', 'web', 'src/app.ts', 'ai-implement/eng-1-change')).toBe('export const app = 2;\n');
    expect(github.state.readFile('acme', 'web', 'src/app.ts')).toBe('export const app = 1;\n');
  });

  it('refuses a clone without a token and a push with a read-only token', async () => {
    const anonymous = await gitWith(undefined)(dir, 'clone', '--quiet', url, 'anon');
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.output).toMatch(/Authentication failed|could not read Username|401/);
    const installation = github.state.installationFor('acme')!;
    const readOnly = gitWith(github.issueToken(installation.id, { permissions: { contents: 'read' } }).token);
    expect((await readOnly(dir, 'clone', '--quiet', url, 'ro')).exitCode).toBe(0);
    const work = join(dir, 'ro');
    await writeFile(join(work, 'x.txt'), 'x\n');
    await readOnly(work, 'add', 'x.txt');
    await readOnly(work, 'commit', '-qm', 'x');
    const push = await readOnly(work, 'push', '-q', 'origin', 'HEAD:refs/heads/sneaky');
    expect(push.exitCode).not.toBe(0);
    expect(github.state.readFile('acme', 'web', 'x.txt', 'sneaky')).toBeUndefined();
  });

  it('refuses a token past its hour on the token clock, in git and in REST, while App JWTs stay on real time', async () => {
    let offsetMs = 0;
    const moved = new GitHubEmulator({ tokenNow: () => new Date(Date.now() + offsetMs) });
    await moved.start();
    try {
      moved.state.addRepo({ owner: 'acme', name: 'api', files: { 'README.md': '# api\n' } });
      const installation = moved.state.installationFor('acme')!;
      const token = moved.issueToken(installation.id, { permissions: { contents: 'write' } }).token;
      const git = gitWith(token);
      expect((await git(dir, 'clone', '--quiet', `${moved.url}/acme/api.git`, 'api-before')).exitCode).toBe(0);
      offsetMs = 61 * 60_000;
      const late = await git(dir, 'clone', '--quiet', `${moved.url}/acme/api.git`, 'api-after');
      expect(late.exitCode).not.toBe(0);
      const rest = await fetch(`${moved.url}/repos/acme/api`, { headers: { authorization: `token ${token}` } });
      expect(rest.status).toBe(401);
      // An App JWT signed on real time still passes, and the token it mints lives an hour from the moved clock.
      const iat = Math.floor(Date.now() / 1000) - 30;
      const appJwt = jwt.sign({ iss: String(moved.appId), iat, exp: iat + 540 }, moved.privateKeyPem, { algorithm: 'RS256' });
      const minted = await fetch(`${moved.url}/app/installations/${installation.id}/access_tokens`, { method: 'POST', headers: { authorization: `Bearer ${appJwt}` } });
      expect(minted.status).toBe(201);
      const { expires_at } = (await minted.json()) as { expires_at: string };
      expect(Date.parse(expires_at)).toBeGreaterThan(Date.now() + 120 * 60_000);
    } finally {
      await moved.stop();
    }
  });
});

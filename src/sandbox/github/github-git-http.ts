import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { hasLevel, tokenCoversRepo } from './github-auth.js';
import { commitOnBranch, resolveCommit } from './github-git.js';
import type { GitHubState } from './github-state.js';
import type { Repo } from './github-types.js';

const run = promisify(execFile);

/** `/<owner>/<repo>.git/info/refs`, `/git-upload-pack`, `/git-receive-pack`: git's smart HTTP paths. */
const GIT_PATH = /^\/([^/]+)\/([^/]+?)\.git(\/(?:info\/refs|git-upload-pack|git-receive-pack))$/;

export function isGitPath(path: string): boolean {
  return GIT_PATH.test(path);
}

/**
 * Git over HTTP, as github.com serves it at `https://github.com/<owner>/<repo>.git`:
 * `git http-backend` over a bare repository per emulated repository, made on
 * first use from the emulated default branch's files. Clients authenticate
 * the way runners do, with an installation token as the basic password
 * (`x-access-token:<token>`); a push needs `contents: write`. After a push the
 * pushed branches and their files are mirrored into the emulator, so the
 * REST API (contents, pull requests) sees what was pushed.
 */
export class GitHttpBackend {
  private root: string | undefined;

  constructor(private readonly state: GitHubState) {}

  async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    const match = GIT_PATH.exec(req.path);
    if (!match) return { status: 404, body: 'Not Found' };
    const [, owner = '', name = '', rest = ''] = match;
    const repo = this.state.repo(owner, name);
    if (!repo) return { status: 404, body: 'Repository not found.\n' };
    const pushing = rest === '/git-receive-pack' || req.query.get('service') === 'git-receive-pack';
    const denied = this.authorize(req, repo, pushing);
    if (denied) return denied;
    const bare = await this.bareRepo(repo);
    const before = pushing && rest === '/git-receive-pack' ? await this.branches(bare) : undefined;
    const response = await this.cgi(req, bare, rest);
    if (before) await this.mirrorPush(repo, bare, before);
    return response;
  }

  async stop(): Promise<void> {
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  private authorize(req: EmulatorRequest, repo: Repo, pushing: boolean): EmulatorResponse | undefined {
    const challenge = { status: 401, headers: { 'www-authenticate': 'Basic realm="GitHub"' }, body: 'Authentication required\n' };
    const header = req.headers.authorization ?? '';
    const basic = /^basic\s+(\S+)$/i.exec(header)?.[1];
    if (!basic) return challenge;
    const password = Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':');
    const token = this.state.tokens.get(password);
    if (!token || token.expiresAt.getTime() <= this.state.tokenNow().getTime() || !tokenCoversRepo(this.state, token, repo)) return challenge;
    if (!hasLevel(token.permissions.contents, pushing ? 'write' : 'read')) {
      return { status: 403, body: pushing ? 'Permission to push denied: the token has no contents: write\n' : 'The token cannot read contents\n' };
    }
    return undefined;
  }

  /** The bare repository of an emulated repository, made from its default branch on first use. */
  private async bareRepo(repo: Repo): Promise<string> {
    this.root ??= await mkdtemp(join(tmpdir(), 'github-emulator-git-'));
    const bare = join(this.root, repo.owner.login, `${repo.name}.git`);
    if (existsSync(join(bare, 'HEAD'))) return bare;
    await mkdir(dirname(bare), { recursive: true });
    await git(['init', '--bare', '--quiet', `--initial-branch=${repo.defaultBranch}`, bare]);
    const work = await mkdtemp(join(tmpdir(), 'github-emulator-seed-'));
    try {
      await git(['init', '--quiet', `--initial-branch=${repo.defaultBranch}`, work]);
      for (const [path, content] of resolveCommit(repo, repo.defaultBranch)?.files ?? []) {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), content);
      }
      await git(['add', '--all'], work);
      await git(['-c', 'user.name=GitHub emulator', '-c', 'user.email=emulator@127.0.0.1', 'commit', '--quiet', '--allow-empty', '-m', 'Initial commit'], work);
      await git(['push', '--quiet', bare, `HEAD:refs/heads/${repo.defaultBranch}`], work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return bare;
  }

  private async branches(bare: string): Promise<Map<string, string>> {
    const { stdout } = await run('git', ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads'], { cwd: bare });
    return new Map(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ') as [string, string]),
    );
  }

  /** Every branch the push created or moved becomes an emulator commit with the pushed files; a deleted one is deleted. */
  private async mirrorPush(repo: Repo, bare: string, before: Map<string, string>): Promise<void> {
    const after = await this.branches(bare);
    for (const [branch, sha] of after) {
      if (before.get(branch) === sha) continue;
      const files = await treeFiles(bare, sha);
      const { stdout: message } = await run('git', ['log', '-1', '--format=%s', sha], { cwd: bare });
      commitOnBranch(repo, branch, message.trim(), (tree) => {
        tree.clear();
        for (const [path, content] of files) tree.set(path, content);
      }, this.state.timestamp());
    }
    for (const branch of before.keys()) if (!after.has(branch)) repo.refs.delete(`heads/${branch}`);
  }

  private cgi(req: EmulatorRequest, bare: string, rest: string): Promise<EmulatorResponse> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH ?? '',
          GIT_PROJECT_ROOT: dirname(dirname(bare)),
          GIT_HTTP_EXPORT_ALL: '1',
          REQUEST_METHOD: req.method,
          PATH_INFO: `/${bare.split('/').slice(-2).join('/')}${rest}`,
          QUERY_STRING: req.query.toString(),
          CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
          CONTENT_LENGTH: String(req.rawBody.length),
          REMOTE_USER: 'x-access-token',
          REMOTE_ADDR: '127.0.0.1',
          ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
          // The token was checked above; git itself must not refuse the push for an anonymous user.
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'http.receivepack',
          GIT_CONFIG_VALUE_0: 'true',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        const raw = Buffer.concat(out);
        const split = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
        if (split < 0) {
          resolve({ status: 500, body: `git http-backend exited with ${code}: ${err}` });
          return;
        }
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of raw.subarray(0, split).toString('utf8').split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon < 0) continue;
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === 'status') status = Number.parseInt(value, 10) || 200;
          else headers[name] = value;
        }
        const body = raw.subarray(split + (raw[split] === 13 ? 4 : 2));
        resolve({ status, headers, body });
      });
      // The backend need not read the body (a GET, or a refusal before it): a closed pipe is not an error here.
      child.stdin.on('error', () => undefined);
      child.stdin.end(req.rawBody);
    });
  }
}

async function treeFiles(bare: string, sha: string): Promise<Map<string, Buffer>> {
  const { stdout } = await run('git', ['ls-tree', '-r', '-z', sha], { cwd: bare, maxBuffer: 64 * 1024 * 1024 });
  const files = new Map<string, Buffer>();
  for (const entry of stdout.split('\0').filter(Boolean)) {
    const tab = entry.indexOf('\t');
    const [, type, object] = entry.slice(0, tab).split(' ');
    if (type !== 'blob' || !object) continue;
    const content = await new Promise<Buffer>((resolve, reject) =>
      execFile('git', ['cat-file', 'blob', object], { cwd: bare, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    files.set(entry.slice(tab + 1), content);
  }
  return files;
}

async function git(args: string[], cwd?: string): Promise<void> {
  await run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

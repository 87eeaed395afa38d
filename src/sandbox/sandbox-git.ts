import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The GitHub emulator speaks REST, not git. In sandbox mode runners clone
 * from and push to a local bare repository instead, so the demo loop runs
 * end to end without any network.
 */
export async function ensureBareRepo(root: string, owner: string, repo: string, defaultBranch: string, files: Record<string, string>): Promise<string> {
  const bare = join(root, owner, `${repo}.git`);
  if (existsSync(join(bare, 'HEAD'))) return bare;
  await mkdir(dirname(bare), { recursive: true });
  await git(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, bare]);
  const work = await mkdtemp(join(tmpdir(), 'ai-implement-seed-'));
  try {
    await git(['init', '--quiet', `--initial-branch=${defaultBranch}`, work]);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), text);
    }
    await git(['add', '--all'], work);
    await git(['-c', 'user.name=AI-Implement sandbox', '-c', 'user.email=sandbox@ai-implement.local', 'commit', '--quiet', '-m', 'Initial commit'], work);
    await git(['push', '--quiet', bare, `HEAD:refs/heads/${defaultBranch}`], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return bare;
}

async function git(args: string[], cwd?: string): Promise<void> {
  await run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

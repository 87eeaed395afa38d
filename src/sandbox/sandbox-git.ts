import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The GitHub emulator speaks REST, not git. In sandbox mode runners clone
 * from and push to a local bare repository instead, so the demo loop runs
 * end to end without any network.
 */
export async function ensureBareRepo(root: string, owner: string, repo: string, defaultBranch: string, files: Record<string, string>, pushNotifyUrl: string): Promise<string> {
  const bare = join(root, owner, `${repo}.git`);
  if (!existsSync(join(bare, 'HEAD'))) await createBareRepo(bare, defaultBranch, files);
  // Rewritten on every boot: the emulator listens on a new port each time.
  await writePushHook(bare, owner, repo, pushNotifyUrl);
  return bare;
}

async function createBareRepo(bare: string, defaultBranch: string, files: Record<string, string>): Promise<void> {
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
}

/** A post-receive hook that tells the GitHub emulator about every pushed branch. */
async function writePushHook(bare: string, owner: string, repo: string, url: string): Promise<void> {
  const notify = `fetch(process.argv[1],{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({owner:process.argv[2],repo:process.argv[3],ref:process.argv[4],sha:process.argv[5]})}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  const script = [
    '#!/bin/sh',
    '# Written by AI-Implement sandbox mode: reports pushed branches to the GitHub emulator.',
    'while read old new ref; do',
    `  "${process.execPath}" -e "${notify.replace(/"/g, '\\"')}" '${url}' '${owner}' '${repo}' "$ref" "$new" || echo "sandbox: could not report $ref to the GitHub emulator" >&2`,
    'done',
    '',
  ].join('\n');
  const hook = join(bare, 'hooks', 'post-receive');
  await mkdir(dirname(hook), { recursive: true });
  await writeFile(hook, script);
  await chmod(hook, 0o755);
}

async function git(args: string[], cwd?: string): Promise<void> {
  await run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

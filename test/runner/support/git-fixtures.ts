import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Identity for commits made by test fixtures; the runner sets its own. */
export const GIT_TEST_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_TEST_ENV, encoding: 'utf8' });
}

/** A bare repository with one commit on `main` holding `files`; returns its path (usable as a clone URL). */
export async function createBareRepo(root: string, files: Record<string, string>): Promise<string> {
  const bare = join(root, 'origin.git');
  const seed = join(root, 'seed');
  await mkdir(seed, { recursive: true });
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  git(seed, ['init', '--quiet', '--initial-branch=main']);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(seed, path)), { recursive: true });
    await writeFile(join(seed, path), text);
  }
  git(seed, ['add', '-A']);
  git(seed, ['commit', '--quiet', '-m', 'Initial commit']);
  git(seed, ['push', '--quiet', bare, 'main']);
  return bare;
}

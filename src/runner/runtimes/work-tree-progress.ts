import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../run-command.js';

/**
 * A probe for the stall watch: has the work tree changed since it was last
 * asked? The fingerprint is git's list of changed and untracked files with
 * each one's size and modification time, so an agent that edits an
 * already-modified file quietly still counts as making progress.
 */
export function workTreeProgress(cwd: string): () => Promise<boolean> {
  let last: string | undefined;
  return async () => {
    const now = await workTreeFingerprint(cwd);
    const moved = last !== undefined && now !== last;
    last = now;
    return moved;
  };
}

/** Git's changed and untracked files with each one's size and modification time, hashed. */
export async function workTreeFingerprint(cwd: string): Promise<string> {
  const status = await runCommand('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all'], { cwd, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' }, timeoutMs: 30_000 });
  if (status.exitCode !== 0) throw new Error(`git status failed: ${status.stderr.trim()}`);
  const hash = createHash('sha256').update(status.stdout);
  for (const entry of status.stdout.split('\0')) {
    const path = entry.slice(3);
    if (!path) continue;
    const info = await stat(join(cwd, path)).catch(() => undefined);
    hash.update(`\0${path}:${info?.size ?? -1}:${info?.mtimeMs ?? -1}`);
  }
  return hash.digest('hex');
}

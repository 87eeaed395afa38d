import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { normalizeBranchRef } from './github-git.js';
import type { PullRequest, Repo } from './github-types.js';

const run = promisify(execFile);
const MAX_DIFF_BYTES = 512 * 1024;
const MAX_LCS_CELLS = 4_000_000;

/**
 * The unified diff of a pull request's head against its base. In sandbox
 * mode runners push to a local bare repository (the emulator only learns
 * that a branch moved), so when one is known git computes the diff there;
 * otherwise it is computed from the files the emulator holds (pushes over
 * the emulator's own git HTTP are mirrored with their content).
 */
export async function pullDiff(repo: Repo, pull: PullRequest, gitDir: string | undefined): Promise<string> {
  if (gitDir && existsSync(gitDir)) {
    try {
      const { stdout } = await run('git', ['--git-dir', gitDir, 'diff', '--no-color', '--no-ext-diff', `refs/heads/${pull.baseRef}...refs/heads/${pull.headRef}`], { maxBuffer: MAX_DIFF_BYTES * 4 });
      return stdout.length > MAX_DIFF_BYTES ? `${stdout.slice(0, MAX_DIFF_BYTES)}\n… (diff cut at ${MAX_DIFF_BYTES} bytes)\n` : stdout;
    } catch {
      // A branch the local repository does not have (pushed elsewhere): the emulator's own files may know it.
    }
  }
  return memoryDiff(repo, pull);
}

function filesAt(repo: Repo, sha: string | undefined): Map<string, Buffer> {
  return (sha ? repo.commits.get(sha)?.files : undefined) ?? new Map();
}

function memoryDiff(repo: Repo, pull: PullRequest): string {
  const head = filesAt(repo, pull.closedHeadSha ?? repo.refs.get(normalizeBranchRef(pull.headRef)));
  // A merged pull request's base already holds its changes: compare with the base as it was (the merge commit's first parent).
  const baseSha = repo.refs.get(normalizeBranchRef(pull.baseRef));
  const mergeParent = pull.mergeCommitSha ? repo.commits.get(pull.mergeCommitSha)?.parents[0] : undefined;
  const base = filesAt(repo, mergeParent ?? baseSha);
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  const out: string[] = [];
  for (const path of paths) {
    const before = base.get(path);
    const after = head.get(path);
    if (before && after && before.equals(after)) continue;
    out.push(`diff --git a/${path} b/${path}`, `--- ${before ? `a/${path}` : '/dev/null'}`, `+++ ${after ? `b/${path}` : '/dev/null'}`);
    out.push(...lineDiff(lines(before), lines(after)));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function lines(content: Buffer | undefined): string[] {
  if (!content) return [];
  const text = content.toString('utf8');
  const split = text.split('\n');
  if (split[split.length - 1] === '') split.pop();
  return split;
}

/** One hunk covering the whole file: enough to read a small change, which is what the sandbox makes. */
function lineDiff(a: string[], b: string[]): string[] {
  if (a.length * b.length > MAX_LCS_CELLS) return [`@@ -1,${a.length} +1,${b.length} @@`, '(file too large to show)'];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const body: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      body.push(` ${a[i]}`);
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      body.push(`+${b[j]}`);
      j++;
    } else {
      body.push(`-${a[i]}`);
      i++;
    }
  }
  return [`@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@`, ...body];
}

import { createHash, randomBytes } from 'node:crypto';
import type { Commit, Repo } from './github-types.js';

/** The git blob id of some bytes, computed the way git does, so `sha` values look and behave real. */
export function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function newCommitSha(): string {
  return createHash('sha1').update(randomBytes(16)).digest('hex');
}

/** Accepts `main`, `heads/main` or `refs/heads/main` and answers `heads/main`. */
export function normalizeBranchRef(ref: string): string {
  const trimmed = ref.replace(/^refs\//, '');
  return trimmed.startsWith('heads/') || trimmed.startsWith('tags/') ? trimmed : `heads/${trimmed}`;
}

export function branchName(ref: string): string {
  return normalizeBranchRef(ref).replace(/^heads\//, '');
}

/** Resolves a branch name, a full ref or a commit sha to a commit. */
export function resolveCommit(repo: Repo, ref: string | undefined): Commit | undefined {
  const wanted = ref ?? repo.defaultBranch;
  const viaRef = repo.refs.get(normalizeBranchRef(wanted));
  if (viaRef) return repo.commits.get(viaRef);
  return repo.commits.get(wanted);
}

export function commitOnBranch(
  repo: Repo,
  branch: string,
  message: string,
  change: (files: Map<string, Buffer>) => void,
  now: string,
): Commit {
  const ref = normalizeBranchRef(branch);
  const parentSha = repo.refs.get(ref);
  const parent = parentSha ? repo.commits.get(parentSha) : undefined;
  const files = new Map(parent?.files ?? []);
  change(files);
  const commit: Commit = { sha: newCommitSha(), parents: parentSha ? [parentSha] : [], message, files, createdAt: now };
  repo.commits.set(commit.sha, commit);
  repo.refs.set(ref, commit.sha);
  return commit;
}

/** True when `ancestor` is reachable from `descendant` through parent links. */
export function isAncestor(repo: Repo, ancestor: string, descendant: string): boolean {
  const queue = [descendant];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const sha = queue.shift() as string;
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(repo.commits.get(sha)?.parents ?? []));
  }
  return false;
}

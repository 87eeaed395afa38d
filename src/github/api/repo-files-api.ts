import type { Octokit } from '@octokit/rest';
import { ConflictError, ExternalServiceError } from '../../errors/index.js';

/** A file's text and blob sha (the sha is what an update must name). */
export interface RepoFile {
  content: string;
  sha: string;
}

export interface RepoPull {
  number: number;
  url: string;
}

export interface RepoFileWrite {
  path: string;
  content: string;
  branch: string;
  message: string;
  /** The blob being replaced; absent when the file is new. */
  sha?: string;
}

/**
 * Files, branches and pull requests of one repository, in the project's terms
 * (what workflow sync needs). Reads answer `undefined` for what does not
 * exist; every other failure arrives as one of our typed errors.
 */
export interface RepoFilesApi {
  /** The text of a file at `ref`; undefined when absent or not a file. */
  readFile(path: string, ref: string): Promise<RepoFile | undefined>;
  /** The commit a branch points at; undefined when there is no such branch. */
  branchSha(branch: string): Promise<string | undefined>;
  createBranch(branch: string, sha: string): Promise<void>;
  /** Moves a branch to `sha`, discarding what it held. */
  resetBranch(branch: string, sha: string): Promise<void>;
  writeFile(write: RepoFileWrite): Promise<void>;
  /** The open pull request from `head` (a branch of this repository) into `base`, if any. */
  findOpenPull(head: string, base: string): Promise<RepoPull | undefined>;
  openPull(pull: { title: string; head: string; base: string; body: string }): Promise<RepoPull>;
}

/** The GitHub adapter for RepoFilesApi, over an installation client of the repository. */
export function createRepoFilesApi(octokit: Octokit, owner: string, repo: string): RepoFilesApi {
  return {
    async readFile(path, ref) {
      try {
        const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ref });
        if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
        return { content: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toRepoFilesError(error, `read ${path}`);
      }
    },

    async branchSha(branch) {
      try {
        const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
        return data.object.sha;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toRepoFilesError(error, `read the branch ${branch}`);
      }
    },

    async createBranch(branch, sha) {
      await call(`create the branch ${branch}`, () => octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha }));
    },

    async resetBranch(branch, sha) {
      await call(`reset the branch ${branch}`, () => octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true }));
    },

    async writeFile(write) {
      await call(`write ${write.path}`, () =>
        octokit.rest.repos.createOrUpdateFileContents({
          owner,
          repo,
          path: write.path,
          message: write.message,
          content: Buffer.from(write.content, 'utf8').toString('base64'),
          branch: write.branch,
          ...(write.sha ? { sha: write.sha } : {}),
        }),
      );
    },

    async findOpenPull(head, base) {
      const { data } = await call('list pull requests', () => octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${head}`, base }));
      const pull = data[0];
      return pull ? { number: pull.number, url: pull.html_url } : undefined;
    },

    async openPull(pull) {
      const { data } = await call(`open a pull request from ${pull.head}`, () => octokit.rest.pulls.create({ owner, repo, ...pull }));
      return { number: data.number, url: data.html_url };
    },
  };
}

async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toRepoFilesError(error, doing);
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Octokit failures become ours once, here. A refusal (403: the installation
 * lacks `workflows: write` for a workflow file; 422: a protected or diverged
 * ref) is something the operator fixes, not an outage, so it is a ConflictError.
 */
function toRepoFilesError(error: unknown, doing: string): Error {
  const status = statusOf(error);
  const message = `GitHub: could not ${doing}: ${(error as Error).message}`;
  if (status === 403 || status === 422) return new ConflictError(message);
  return new ExternalServiceError(message, { service: 'github', retryable: status === undefined || status >= 500 || status === 429, ...(status ? { status } : {}), cause: error });
}

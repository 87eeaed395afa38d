import type { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import { AuthError, ConflictError, ExternalServiceError, NotFoundError } from '../errors/index.js';
import { templateVersion, type WorkflowTemplate } from '../runner/index.js';
import type { Store } from '../store/store.js';

export const SYNC_BRANCH = 'sync/ai-implement';

export type SyncStatus = 'up-to-date' | 'pr-opened' | 'pr-updated';
export type TemplateFileStatus = 'current' | 'stale' | 'missing';

export interface SyncResult {
  status: SyncStatus;
  /** Files written to the sync branch by this call (empty when up to date). */
  changedFiles: string[];
  /** The open sync pull request, when there is one. */
  prUrl?: string;
}

export interface RepoTemplateStatus {
  teamKey: string;
  repo: string;
  defaultBranch: string;
  /** The worst of its files; `unknown` when the repository could not be read. */
  status: TemplateFileStatus | 'unknown';
  files: Array<{ path: string; status: TemplateFileStatus; found: number | null; expected: number }>;
  error?: string;
}

export interface WorkflowSyncDeps {
  /** An installation client for one repository (the GitHub App's `repoOctokit`). */
  repoClient: (owner: string, repo: string) => Promise<Octokit>;
  /** The orchestrator's templates (`readWorkflowTemplates(projectRoot)`), read per call so edits show. */
  templates: () => Promise<WorkflowTemplate[]>;
  store: Store;
  clock: () => number;
  log: Logger;
}

export interface WorkflowSync {
  sync(teamKey: string, actor: string): Promise<SyncResult>;
  templateStatus(): Promise<RepoTemplateStatus[]>;
}

/** Guidance files belong to the repository's people once they exist: seeded, never overwritten. */
function isSeedOnly(template: WorkflowTemplate): boolean {
  return !template.targetPath.startsWith('.github/workflows/');
}

interface RepoFile {
  content: string;
  sha: string;
}

/**
 * Keeps a target repository's AI-Implement workflows in step with the
 * orchestrator's templates through one pull request on `sync/ai-implement`:
 * compare with the default branch, write what differs to the branch, open the
 * PR or add to the open one. Idempotent: a second call with nothing new
 * writes nothing.
 */
export function createWorkflowSync(deps: WorkflowSyncDeps): WorkflowSync {
  const { store, clock, log } = deps;

  async function client(mapping: Mapping): Promise<Octokit> {
    try {
      return await deps.repoClient(mapping.owner, mapping.repo);
    } catch (error) {
      // No installation on the repository is a setup problem the operator fixes, not an outage.
      if (error instanceof NotFoundError || error instanceof AuthError) {
        throw new ConflictError(`The GitHub App cannot reach ${mapping.owner}/${mapping.repo} (${error.message}); install the app on the repository`);
      }
      throw error;
    }
  }

  return {
    async sync(teamKey, actor) {
      const mapping = await store.mappings.get(teamKey);
      if (!mapping) throw new NotFoundError(`No project mapping ${teamKey}`);
      const octokit = await client(mapping);
      const repo = new RepoAccess(octokit, mapping);
      const templates = await deps.templates();
      const baseSha = await repo.refSha(mapping.defaultBranch);
      if (!baseSha) throw new ConflictError(`The default branch ${mapping.defaultBranch} does not exist in ${mapping.owner}/${mapping.repo}; fix the mapping's defaultBranch`);

      const needed: WorkflowTemplate[] = [];
      for (const template of templates) {
        const onBase = await repo.read(template.targetPath, mapping.defaultBranch);
        if (isSeedOnly(template) ? onBase === undefined : onBase?.content !== template.content) needed.push(template);
      }
      const openPr = await repo.openSyncPull();
      if (needed.length === 0) return { status: 'up-to-date', changedFiles: [] };

      const branchSha = await repo.refSha(SYNC_BRANCH);
      if (!branchSha) await repo.createBranch(baseSha);
      // A branch left by a merged or closed sync PR restarts from the default branch.
      else if (!openPr) await repo.resetBranch(baseSha);

      const written: string[] = [];
      const version = Math.max(0, ...templates.map((t) => t.version));
      for (const template of needed) {
        const onBranch = await repo.read(template.targetPath, SYNC_BRANCH);
        if (isSeedOnly(template) ? onBranch !== undefined : onBranch?.content === template.content) continue;
        await repo.write(template.targetPath, template.content, onBranch?.sha, `AI-Implement: ${onBranch ? 'update' : 'add'} ${template.targetPath} (template v${version})`);
        written.push(template.targetPath);
      }

      let result: SyncResult;
      if (!openPr) {
        const url = await repo.openPull(version, written);
        result = { status: 'pr-opened', changedFiles: written, prUrl: url };
      } else if (written.length > 0) {
        result = { status: 'pr-updated', changedFiles: written, prUrl: openPr.url };
      } else {
        result = { status: 'up-to-date', changedFiles: [], prUrl: openPr.url };
      }
      if (result.status !== 'up-to-date') {
        await store.audit.append({ at: new Date(clock()).toISOString(), actor, action: 'workflows.synced', target: teamKey, after: { repo: `${mapping.owner}/${mapping.repo}`, ...result } });
        log.info({ teamKey, ...result }, 'workflow templates synced');
      }
      return result;
    },

    async templateStatus() {
      const templates = (await deps.templates()).filter((t) => !isSeedOnly(t));
      const out: RepoTemplateStatus[] = [];
      for (const mapping of await store.mappings.list()) {
        const base = { teamKey: mapping.teamKey, repo: `${mapping.owner}/${mapping.repo}`, defaultBranch: mapping.defaultBranch };
        try {
          const repo = new RepoAccess(await client(mapping), mapping);
          const files: RepoTemplateStatus['files'] = [];
          for (const template of templates) {
            const found = await repo.read(template.targetPath, mapping.defaultBranch);
            const foundVersion = found ? templateVersion(found.content) : null;
            const status: TemplateFileStatus = foundVersion === null ? 'missing' : foundVersion >= template.version ? 'current' : 'stale';
            files.push({ path: template.targetPath, status, found: foundVersion, expected: template.version });
          }
          const status = files.some((f) => f.status === 'missing') ? 'missing' : files.some((f) => f.status === 'stale') ? 'stale' : 'current';
          out.push({ ...base, status, files });
        } catch (error) {
          // One unreachable repository must not hide the status of the others.
          out.push({ ...base, status: 'unknown', files: [], error: (error as Error).message });
        }
      }
      return out;
    },
  };
}

/** The GitHub calls the sync makes on one repository, with errors converted once. */
class RepoAccess {
  private readonly owner: string;
  private readonly repo: string;

  constructor(
    private readonly octokit: Octokit,
    private readonly mapping: Mapping,
  ) {
    this.owner = mapping.owner;
    this.repo = mapping.repo;
  }

  async read(path: string, ref: string): Promise<RepoFile | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ owner: this.owner, repo: this.repo, path, ref });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
      return { content: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toGitHubError(error, `read ${path}`);
    }
  }

  async refSha(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ owner: this.owner, repo: this.repo, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toGitHubError(error, `read the branch ${branch}`);
    }
  }

  async createBranch(sha: string): Promise<void> {
    await this.call(`create the branch ${SYNC_BRANCH}`, () => this.octokit.rest.git.createRef({ owner: this.owner, repo: this.repo, ref: `refs/heads/${SYNC_BRANCH}`, sha }));
  }

  async resetBranch(sha: string): Promise<void> {
    await this.call(`reset the branch ${SYNC_BRANCH}`, () => this.octokit.rest.git.updateRef({ owner: this.owner, repo: this.repo, ref: `heads/${SYNC_BRANCH}`, sha, force: true }));
  }

  async write(path: string, content: string, sha: string | undefined, message: string): Promise<void> {
    await this.call(`write ${path}`, () =>
      this.octokit.rest.repos.createOrUpdateFileContents({
        owner: this.owner,
        repo: this.repo,
        path,
        message,
        content: Buffer.from(content, 'utf8').toString('base64'),
        branch: SYNC_BRANCH,
        ...(sha ? { sha } : {}),
      }),
    );
  }

  async openSyncPull(): Promise<{ number: number; url: string } | undefined> {
    const { data } = await this.call('list pull requests', () =>
      this.octokit.rest.pulls.list({ owner: this.owner, repo: this.repo, state: 'open', head: `${this.owner}:${SYNC_BRANCH}`, base: this.mapping.defaultBranch }),
    );
    const pull = data[0];
    return pull ? { number: pull.number, url: pull.html_url } : undefined;
  }

  async openPull(version: number, files: string[]): Promise<string> {
    const body = [
      `AI-Implement keeps its workflows in this repository in step with the orchestrator's templates (version ${version}).`,
      '',
      ...files.map((f) => `- \`${f}\``),
      '',
      '`WORKFLOW.md` and `PLANNING.md` are only added when missing; edit them freely, later syncs leave them alone.',
    ].join('\n');
    const { data } = await this.call('open the sync pull request', () =>
      this.octokit.rest.pulls.create({ owner: this.owner, repo: this.repo, title: `AI-Implement: sync workflow templates (v${version})`, head: SYNC_BRANCH, base: this.mapping.defaultBranch, body }),
    );
    return data.html_url;
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toGitHubError(error, doing);
    }
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function toGitHubError(error: unknown, doing: string): Error {
  const status = statusOf(error);
  const message = `GitHub: could not ${doing}: ${(error as Error).message}`;
  // 403 on a workflow file: the installation lacks the `workflows` permission, which the operator grants.
  if (status === 403 || status === 422) return new ConflictError(message);
  return new ExternalServiceError(message, { service: 'github', retryable: status === undefined || status >= 500 || status === 429, ...(status ? { status } : {}), cause: error });
}

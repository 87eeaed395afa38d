import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import { projectRunnerImage } from '../domain/runner-image.js';
import { AuthError, ConflictError, NotFoundError } from '../errors/index.js';
import type { RepoFilesApi } from '../github/api/repo-files-api.js';
import { templateVersion, type WorkflowTemplate } from '../runner/index.js';
import type { Store } from '../store/store.js';
import { renderWorkflowTemplate } from './render-workflow-template.js';

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
  /** Files, branches and pull requests of one repository (the GitHub adapter's `createRepoFilesApi`). */
  repoFiles: (owner: string, repo: string) => Promise<RepoFilesApi>;
  /** The orchestrator's templates (`readWorkflowTemplates(projectRoot)`), read per call so edits show. */
  templates: () => Promise<WorkflowTemplate[]>;
  /**
   * RUNNER_IMAGE and RUNNER_IMAGE_ALLOWLIST, written into the dispatch
   * workflows (a project's own runnerImage beats the image). Unset: the
   * templates go out with the published defaults they carry.
   */
  runnerImages?: { image: string; allowlist: readonly string[] };
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

/**
 * Keeps a target repository's AI-Implement workflows in step with the
 * orchestrator's templates through one pull request on `sync/ai-implement`:
 * compare with the default branch, write what differs to the branch, open the
 * PR or add to the open one. Idempotent: a second call with nothing new
 * writes nothing.
 */
export function createWorkflowSync(deps: WorkflowSyncDeps): WorkflowSync {
  const { store, clock, log } = deps;

  async function repoOf(mapping: Mapping): Promise<RepoFilesApi> {
    try {
      return await deps.repoFiles(mapping.owner, mapping.repo);
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
      const repo = await repoOf(mapping);
      const images = deps.runnerImages;
      const templates = (await deps.templates()).map((t) =>
        images ? renderWorkflowTemplate(t, { image: projectRunnerImage(mapping) ?? images.image, allowlist: images.allowlist }) : t,
      );
      const baseSha = await repo.branchSha(mapping.defaultBranch);
      if (!baseSha) throw new ConflictError(`The default branch ${mapping.defaultBranch} does not exist in ${mapping.owner}/${mapping.repo}; fix the mapping's defaultBranch`);

      const needed: WorkflowTemplate[] = [];
      for (const template of templates) {
        const onBase = await repo.readFile(template.targetPath, mapping.defaultBranch);
        if (isSeedOnly(template) ? onBase === undefined : onBase?.content !== template.content) needed.push(template);
      }
      const openPr = await repo.findOpenPull(SYNC_BRANCH, mapping.defaultBranch);
      if (needed.length === 0) return { status: 'up-to-date', changedFiles: [] };

      const branchSha = await repo.branchSha(SYNC_BRANCH);
      if (!branchSha) await repo.createBranch(SYNC_BRANCH, baseSha);
      // A branch left by a merged or closed sync PR restarts from the default branch.
      else if (!openPr) await repo.resetBranch(SYNC_BRANCH, baseSha);

      const written: string[] = [];
      const version = Math.max(0, ...templates.map((t) => t.version));
      for (const template of needed) {
        const onBranch = await repo.readFile(template.targetPath, SYNC_BRANCH);
        if (isSeedOnly(template) ? onBranch !== undefined : onBranch?.content === template.content) continue;
        await repo.writeFile({
          path: template.targetPath,
          content: template.content,
          branch: SYNC_BRANCH,
          message: `AI-Implement: ${onBranch ? 'update' : 'add'} ${template.targetPath} (template v${version})`,
          ...(onBranch ? { sha: onBranch.sha } : {}),
        });
        written.push(template.targetPath);
      }

      let result: SyncResult;
      if (!openPr) {
        const pull = await repo.openPull({ title: `AI-Implement: sync workflow templates (v${version})`, head: SYNC_BRANCH, base: mapping.defaultBranch, body: syncPullBody(version, written) });
        result = { status: 'pr-opened', changedFiles: written, prUrl: pull.url };
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
          const repo = await repoOf(mapping);
          const files: RepoTemplateStatus['files'] = [];
          for (const template of templates) {
            const found = await repo.readFile(template.targetPath, mapping.defaultBranch);
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

function syncPullBody(version: number, files: string[]): string {
  return [
    `AI-Implement keeps its workflows in this repository in step with the orchestrator's templates (version ${version}).`,
    '',
    ...files.map((f) => `- \`${f}\``),
    '',
    '`WORKFLOW.md` and `PLANNING.md` are only added when missing; edit them freely, later syncs leave them alone.',
  ].join('\n');
}

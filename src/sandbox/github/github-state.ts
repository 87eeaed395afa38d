import { blobSha, commitOnBranch, normalizeBranchRef, resolveCommit } from './github-git.js';
import type {
  GitHubAccount,
  Installation,
  InstallationToken,
  Issue,
  IssueComment,
  ManifestCode,
  PermissionSet,
  PullRequest,
  Reaction,
  RegisteredApp,
  Repo,
  RepoRole,
  RepositorySelection,
  ReviewComment,
  Workflow,
  WorkflowInputSpec,
  WorkflowRun,
  WorkflowRunConclusion,
  WorkflowRunStatus,
} from './github-types.js';

export const DEFAULT_INSTALLATION_PERMISSIONS: PermissionSet = {
  metadata: 'read',
  contents: 'write',
  pull_requests: 'write',
  issues: 'write',
  actions: 'write',
  workflows: 'write',
};

export interface AddInstallationOptions {
  id?: number;
  account: string;
  accountType?: 'User' | 'Organization';
  repositorySelection?: RepositorySelection;
  permissions?: PermissionSet;
}

export interface AddRepoOptions {
  owner: string;
  name: string;
  defaultBranch?: string;
  private?: boolean;
  /** Defaults to the owner's installation, created when missing. */
  installationId?: number;
  /** Initial files on the default branch (path → UTF-8 text). */
  files?: Record<string, string>;
}

export interface AddWorkflowOptions {
  /** File name under `.github/workflows/`, e.g. `ai-implement.yml`. */
  file: string;
  name?: string;
  runName?: string;
  inputs?: Record<string, WorkflowInputSpec>;
}

/**
 * Everything the GitHub emulator knows, in plain maps. Routes read and write
 * it; tests seed it before a scenario and inspect it after.
 */
export class GitHubState {
  readonly installations = new Map<number, Installation>();
  readonly repos = new Map<string, Repo>();
  readonly tokens = new Map<string, InstallationToken>();
  readonly pulls: PullRequest[] = [];
  readonly issues: Issue[] = [];
  readonly issueComments: IssueComment[] = [];
  readonly reviewComments: ReviewComment[] = [];
  readonly reactions: Reaction[] = [];
  readonly workflows: Workflow[] = [];
  readonly runs: WorkflowRun[] = [];
  /** Apps made through the manifest flow, by id; their JWTs are accepted like the emulator's own App's. */
  readonly apps = new Map<number, RegisteredApp>();
  /** Manifest-flow codes not yet exchanged, by code. */
  readonly manifestCodes = new Map<string, ManifestCode>();
  private readonly accounts = new Map<string, GitHubAccount>();
  private nextId = 1000;

  /** The clock installation tokens are issued and checked against (REST and git over HTTP); `now` unless a test moves it apart. */
  readonly tokenNow: () => Date;

  constructor(
    readonly now: () => Date,
    readonly botAccount: GitHubAccount,
    tokenNow?: () => Date,
  ) {
    this.tokenNow = tokenNow ?? now;
  }

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Returns the account for a login, creating a `User` the first time. */
  account(login: string, type: GitHubAccount['type'] = 'User'): GitHubAccount {
    if (login.toLowerCase() === this.botAccount.login.toLowerCase()) return this.botAccount;
    const key = login.toLowerCase();
    let account = this.accounts.get(key);
    if (!account) {
      account = { login, id: this.newId(), type };
      this.accounts.set(key, account);
    }
    return account;
  }

  addInstallation(options: AddInstallationOptions): Installation {
    const installation: Installation = {
      id: options.id ?? this.newId(),
      account: this.account(options.account, options.accountType ?? 'Organization'),
      repositorySelection: options.repositorySelection ?? 'all',
      repositoryIds: [],
      permissions: { ...(options.permissions ?? DEFAULT_INSTALLATION_PERMISSIONS) },
      events: ['issue_comment', 'pull_request', 'pull_request_review', 'workflow_run'],
      createdAt: this.timestamp(),
      suspended: false,
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  installationFor(owner: string): Installation | undefined {
    return [...this.installations.values()].find((i) => i.account.login.toLowerCase() === owner.toLowerCase());
  }

  addRepo(options: AddRepoOptions): Repo {
    const installation =
      options.installationId !== undefined
        ? this.installations.get(options.installationId)
        : (this.installationFor(options.owner) ?? this.addInstallation({ account: options.owner }));
    if (!installation) throw new Error(`no installation ${options.installationId}`);
    const repo: Repo = {
      id: this.newId(),
      owner: installation.account.login.toLowerCase() === options.owner.toLowerCase() ? installation.account : this.account(options.owner),
      name: options.name,
      fullName: `${options.owner}/${options.name}`,
      defaultBranch: options.defaultBranch ?? 'main',
      private: options.private ?? true,
      installationId: installation.id,
      createdAt: this.timestamp(),
      commits: new Map(),
      refs: new Map(),
      nextNumber: 1,
      collaborators: new Map(),
    };
    if (installation.repositorySelection === 'selected') installation.repositoryIds.push(repo.id);
    this.repos.set(repo.fullName.toLowerCase(), repo);
    const files = options.files ?? { 'README.md': `# ${options.name}\n` };
    commitOnBranch(
      repo,
      repo.defaultBranch,
      'Initial commit',
      (tree) => {
        for (const [path, text] of Object.entries(files)) tree.set(path, Buffer.from(text, 'utf8'));
      },
      this.timestamp(),
    );
    return repo;
  }

  repo(owner: string, name: string): Repo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  requireRepo(owner: string, name: string): Repo {
    const repo = this.repo(owner, name);
    if (!repo) throw new Error(`unknown repository ${owner}/${name}`);
    return repo;
  }

  /** Commits one file to a branch (creating the branch from the default branch when missing). */
  setFile(owner: string, name: string, branch: string, path: string, text: string, message = `Update ${path}`): string {
    const repo = this.requireRepo(owner, name);
    const ref = normalizeBranchRef(branch);
    if (!repo.refs.has(ref)) {
      const base = repo.refs.get(normalizeBranchRef(repo.defaultBranch));
      if (base) repo.refs.set(ref, base);
    }
    return commitOnBranch(repo, branch, message, (files) => files.set(path, Buffer.from(text, 'utf8')), this.timestamp()).sha;
  }

  readFile(owner: string, name: string, path: string, ref?: string): string | undefined {
    const repo = this.requireRepo(owner, name);
    return resolveCommit(repo, ref)?.files.get(path)?.toString('utf8');
  }

  fileSha(owner: string, name: string, path: string, ref?: string): string | undefined {
    const content = resolveCommit(this.requireRepo(owner, name), ref)?.files.get(path);
    return content ? blobSha(content) : undefined;
  }

  /** Branch name → head sha, for every branch of a repository. */
  branches(owner: string, name: string): Record<string, string> {
    const repo = this.requireRepo(owner, name);
    const out: Record<string, string> = {};
    for (const [ref, sha] of repo.refs) if (ref.startsWith('heads/')) out[ref.slice('heads/'.length)] = sha;
    return out;
  }

  setPermission(owner: string, name: string, login: string, role: RepoRole): void {
    this.account(login);
    this.requireRepo(owner, name).collaborators.set(login.toLowerCase(), role);
  }

  addIssue(owner: string, name: string, title: string, body: string | null = null, author = 'octocat'): Issue {
    const repo = this.requireRepo(owner, name);
    const now = this.timestamp();
    const issue: Issue = {
      id: this.newId(),
      repoId: repo.id,
      number: repo.nextNumber++,
      title,
      body,
      state: 'open',
      user: this.account(author),
      createdAt: now,
      updatedAt: now,
    };
    this.issues.push(issue);
    return issue;
  }

  addReviewComment(owner: string, name: string, pullNumber: number, body: string, author = 'octocat', path = 'README.md'): ReviewComment {
    const repo = this.requireRepo(owner, name);
    const now = this.timestamp();
    const comment: ReviewComment = {
      id: this.newId(),
      repoId: repo.id,
      pullNumber,
      body,
      path,
      user: this.account(author),
      createdAt: now,
      updatedAt: now,
    };
    this.reviewComments.push(comment);
    return comment;
  }

  addWorkflow(owner: string, name: string, options: AddWorkflowOptions): Workflow {
    const repo = this.requireRepo(owner, name);
    const workflow: Workflow = {
      id: this.newId(),
      repoId: repo.id,
      name: options.name ?? options.file.replace(/\.ya?ml$/, ''),
      path: `.github/workflows/${options.file}`,
      state: 'active',
      createdAt: this.timestamp(),
      ...(options.runName !== undefined ? { runName: options.runName } : {}),
      ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
    };
    this.workflows.push(workflow);
    return workflow;
  }

  pull(owner: string, name: string, number: number): PullRequest | undefined {
    const repo = this.requireRepo(owner, name);
    return this.pulls.find((p) => p.repoId === repo.id && p.number === number);
  }

  run(id: number): WorkflowRun | undefined {
    return this.runs.find((r) => r.id === id);
  }

  /** Moves a workflow run along, as the Actions runner would. */
  setRunStatus(id: number, status: WorkflowRunStatus, conclusion: WorkflowRunConclusion | null = null): WorkflowRun {
    const run = this.run(id);
    if (!run) throw new Error(`unknown workflow run ${id}`);
    if (status === 'completed' && conclusion === null) throw new Error('a completed run needs a conclusion');
    run.status = status;
    run.conclusion = status === 'completed' ? conclusion : null;
    run.updatedAt = this.timestamp();
    if (status === 'in_progress') run.runStartedAt = run.updatedAt;
    return run;
  }

  /** Merges a pull request the way the merge button would (a merge commit on the base branch). */
  mergePull(owner: string, name: string, number: number): PullRequest {
    const repo = this.requireRepo(owner, name);
    const pull = this.pull(owner, name, number);
    if (!pull) throw new Error(`unknown pull request #${number}`);
    const headSha = repo.refs.get(normalizeBranchRef(pull.headRef));
    const head = headSha ? repo.commits.get(headSha) : undefined;
    const commit = commitOnBranch(
      repo,
      pull.baseRef,
      `Merge pull request #${pull.number}`,
      (files) => {
        files.clear();
        for (const [path, content] of head?.files ?? []) files.set(path, content);
      },
      this.timestamp(),
    );
    if (headSha) commit.parents.push(headSha);
    const now = this.timestamp();
    Object.assign(pull, {
      state: 'closed',
      merged: true,
      mergedAt: now,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: commit.sha,
      closedHeadSha: headSha ?? null,
    });
    return pull;
  }
}

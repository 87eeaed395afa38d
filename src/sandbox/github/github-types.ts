/** Plain records the GitHub emulator keeps. Tests seed and inspect these directly. */

export type AccountType = 'User' | 'Bot' | 'Organization';

export interface GitHubAccount {
  login: string;
  id: number;
  type: AccountType;
}

/** What `permission` answers; `maintain` reads as `write` and `triage` as `read`, as on GitHub. */
export type RepoPermission = 'admin' | 'write' | 'read' | 'none';
export type RepoRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export type AccessLevel = 'read' | 'write' | 'admin';
export type PermissionSet = Record<string, AccessLevel>;

export type RepositorySelection = 'all' | 'selected';

export interface Installation {
  id: number;
  account: GitHubAccount;
  repositorySelection: RepositorySelection;
  /** Only used when `repositorySelection` is `selected`. */
  repositoryIds: number[];
  permissions: PermissionSet;
  events: string[];
  createdAt: string;
  suspended: boolean;
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: Date;
  /** `null` means every repository of the installation. */
  repositoryIds: number[] | null;
  permissions: PermissionSet;
}

export interface Commit {
  sha: string;
  parents: string[];
  message: string;
  /** Path → file bytes; a full snapshot of the tree at this commit. */
  files: Map<string, Buffer>;
  createdAt: string;
}

export interface Repo {
  id: number;
  owner: GitHubAccount;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  installationId: number;
  createdAt: string;
  commits: Map<string, Commit>;
  /** `heads/main` → commit sha. */
  refs: Map<string, string>;
  /** Issue and pull request numbers share one counter, as on GitHub. */
  nextNumber: number;
  /** Login (lower case) → role. */
  collaborators: Map<string, RepoRole>;
}

export type PullState = 'open' | 'closed';

export interface PullRequest {
  id: number;
  repoId: number;
  number: number;
  title: string;
  body: string | null;
  state: PullState;
  headRef: string;
  baseRef: string;
  user: GitHubAccount;
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  /** The head sha frozen when the pull request closes. */
  closedHeadSha: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Issue {
  id: number;
  repoId: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  user: GitHubAccount;
  createdAt: string;
  updatedAt: string;
}

export interface IssueComment {
  id: number;
  repoId: number;
  issueNumber: number;
  body: string;
  user: GitHubAccount;
  createdAt: string;
  updatedAt: string;
}

export interface ReviewComment {
  id: number;
  repoId: number;
  pullNumber: number;
  body: string;
  path: string;
  user: GitHubAccount;
  createdAt: string;
  updatedAt: string;
}

export type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';
export type ReactionSubject = 'issue_comment' | 'review_comment';

export interface Reaction {
  id: number;
  subject: ReactionSubject;
  commentId: number;
  content: ReactionContent;
  user: GitHubAccount;
  createdAt: string;
}

export interface WorkflowInputSpec {
  required?: boolean;
}

export interface Workflow {
  id: number;
  repoId: number;
  name: string;
  /** `.github/workflows/<file>` */
  path: string;
  state: 'active' | 'disabled_manually';
  /**
   * The workflow's `run-name:`; `${{ inputs.x }}` placeholders are filled from
   * the dispatch inputs. Unset → the run's title is the workflow name.
   */
  runName?: string;
  /** Declared `workflow_dispatch` inputs; unset accepts any input. */
  inputs?: Record<string, WorkflowInputSpec>;
  createdAt: string;
}

export type WorkflowRunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type WorkflowRunConclusion =
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'neutral'
  | 'action_required'
  | 'stale';

export interface WorkflowRun {
  id: number;
  repoId: number;
  workflowId: number;
  /** The workflow's name, as GitHub reports it. */
  name: string;
  /** The rendered `run-name`, where a dispatcher's correlation id shows up. */
  displayTitle: string;
  headBranch: string;
  headSha: string;
  event: string;
  status: WorkflowRunStatus;
  conclusion: WorkflowRunConclusion | null;
  runNumber: number;
  runAttempt: number;
  inputs: Record<string, string>;
  actor: GitHubAccount;
  createdAt: string;
  updatedAt: string;
  runStartedAt: string;
}

/** A GitHub App registered on the emulator through the manifest flow (the emulator's own App is not one). */
export interface RegisteredApp {
  id: number;
  slug: string;
  name: string;
  description: string;
  owner: GitHubAccount;
  externalUrl: string;
  hookUrl: string | undefined;
  publicKeyPem: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string | null;
  permissions: PermissionSet;
  events: string[];
  createdAt: string;
}

/** The one-time code the manifest flow hands to the redirect URL; the private key is given out once, with it. */
export interface ManifestCode {
  code: string;
  appId: number;
  privateKeyPem: string;
  expiresAt: Date;
}

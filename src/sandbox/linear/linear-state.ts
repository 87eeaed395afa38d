import { randomUUID } from 'node:crypto';

/**
 * The Linear emulator's workspace: plain records that tests seed and inspect
 * directly. Entities refer to each other by id, as Linear's API does.
 */

export type LinearStateType = 'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled';
export type LinearRelationType = 'blocks' | 'related' | 'duplicate' | 'similar';

export interface LinearUser {
  id: string;
  name: string;
  displayName: string;
  email: string;
  /** True for an OAuth app / agent actor user. */
  app: boolean;
  active: boolean;
  createdAt: string;
}

export interface LinearTeam {
  id: string;
  key: string;
  name: string;
  createdAt: string;
}

export interface LinearWorkflowState {
  id: string;
  teamId: string;
  name: string;
  type: LinearStateType;
  position: number;
  color: string;
}

export interface LinearLabel {
  id: string;
  name: string;
  color: string;
  /** `null` for a workspace label. */
  teamId: string | null;
  description: string | null;
  createdAt: string;
}

export interface LinearProject {
  id: string;
  name: string;
}

export interface LinearIssue {
  id: string;
  teamId: string;
  number: number;
  identifier: string;
  title: string;
  description: string | null;
  priority: number;
  stateId: string;
  labelIds: string[];
  assigneeId: string | null;
  projectId: string | null;
  creatorId: string | null;
  url: string;
  createdAt: string;
  updatedAt: string;
}

export interface LinearIssueRelation {
  id: string;
  type: LinearRelationType;
  /** The issue that blocks (for `blocks`). */
  issueId: string;
  /** The issue that is blocked (for `blocks`). */
  relatedIssueId: string;
  createdAt: string;
}

export interface LinearComment {
  id: string;
  issueId: string;
  body: string;
  userId: string;
  createdAt: string;
  updatedAt: string;
}

export interface LinearWorkspace {
  urlKey: string;
  viewerId: string;
  users: LinearUser[];
  teams: LinearTeam[];
  workflowStates: LinearWorkflowState[];
  labels: LinearLabel[];
  projects: LinearProject[];
  issues: LinearIssue[];
  relations: LinearIssueRelation[];
  comments: LinearComment[];
}

export interface StateSeed {
  name: string;
  type: LinearStateType;
  color?: string;
}

/** The workflow every new team starts with unless told otherwise. */
export const DEFAULT_WORKFLOW: StateSeed[] = [
  { name: 'Backlog', type: 'backlog', color: '#bec2c8' },
  { name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
  { name: 'In Progress', type: 'started', color: '#f2c94c' },
  { name: 'In Review', type: 'started', color: '#0f783c' },
  { name: 'Done', type: 'completed', color: '#5e6ad2' },
  { name: 'Canceled', type: 'canceled', color: '#95a2b3' },
];

export interface IssueSeed {
  team: string;
  title: string;
  description?: string | null;
  /** State name; defaults to the team's first `unstarted` state. */
  state?: string;
  /** Label names; a missing team label is resolved from workspace labels, then created. */
  labels?: string[];
  priority?: number;
  /** User id or email. */
  assignee?: string | null;
  /** Project id or name; created when unknown. */
  project?: string | null;
  createdAt?: string;
  updatedAt?: string;
  /** A fixed id (a UUID), for seeds that must keep their id from one start to the next; random when unset. */
  id?: string;
}

export class LinearStore {
  readonly workspace: LinearWorkspace;
  /** Where issue `url`s point: linear.app, or the emulator's own pages in sandbox mode. */
  issueUrlBase = 'https://linear.app';
  private readonly deletedCommentIds = new Set<string>();

  constructor(
    private readonly now: () => Date,
    urlKey: string,
    viewer: { name: string; email: string; app: boolean },
  ) {
    const viewerUser = this.makeUser(viewer.name, viewer.email, viewer.app);
    this.workspace = {
      urlKey,
      viewerId: viewerUser.id,
      users: [viewerUser],
      teams: [],
      workflowStates: [],
      labels: [],
      projects: [],
      issues: [],
      relations: [],
      comments: [],
    };
  }

  private makeUser(name: string, email: string, app: boolean): LinearUser {
    return { id: randomUUID(), name, displayName: name.toLowerCase().replace(/\s+/g, ''), email, app, active: true, createdAt: this.stamp() };
  }

  stamp(): string {
    return this.now().toISOString();
  }

  addUser(seed: { name: string; email?: string; app?: boolean }): LinearUser {
    const user = this.makeUser(seed.name, seed.email ?? `${seed.name.toLowerCase().replace(/\s+/g, '.')}@example.test`, seed.app ?? false);
    this.workspace.users.push(user);
    return user;
  }

  addTeam(seed: { key: string; name?: string; states?: StateSeed[] }): LinearTeam {
    if (this.findTeam(seed.key)) throw new Error(`Linear emulator: team ${seed.key} exists`);
    const team: LinearTeam = { id: randomUUID(), key: seed.key, name: seed.name ?? seed.key, createdAt: this.stamp() };
    this.workspace.teams.push(team);
    (seed.states ?? DEFAULT_WORKFLOW).forEach((state, position) => {
      this.workspace.workflowStates.push({ id: randomUUID(), teamId: team.id, name: state.name, type: state.type, position, color: state.color ?? '#888888' });
    });
    return team;
  }

  addLabel(seed: { name: string; team?: string | null; color?: string; description?: string }): LinearLabel {
    const team = seed.team ? this.requireTeam(seed.team) : undefined;
    const label: LinearLabel = {
      id: randomUUID(),
      name: seed.name,
      color: seed.color ?? '#5e6ad2',
      teamId: team?.id ?? null,
      description: seed.description ?? null,
      createdAt: this.stamp(),
    };
    this.workspace.labels.push(label);
    return label;
  }

  addProject(name: string): LinearProject {
    const project = { id: randomUUID(), name };
    this.workspace.projects.push(project);
    return project;
  }

  addIssue(seed: IssueSeed): LinearIssue {
    const team = this.requireTeam(seed.team);
    const number = this.workspace.issues.filter((i) => i.teamId === team.id).reduce((max, i) => Math.max(max, i.number), 0) + 1;
    const identifier = `${team.key}-${number}`;
    const state = seed.state
      ? this.requireState(team.id, seed.state)
      : (this.teamStates(team.id).find((s) => s.type === 'unstarted') ?? this.teamStates(team.id)[0]);
    if (!state) throw new Error(`Linear emulator: team ${team.key} has no workflow states`);
    const createdAt = seed.createdAt ?? this.stamp();
    const issue: LinearIssue = {
      id: seed.id ?? randomUUID(),
      teamId: team.id,
      number,
      identifier,
      title: seed.title,
      description: seed.description ?? null,
      priority: seed.priority ?? 0,
      stateId: state.id,
      labelIds: (seed.labels ?? []).map((name) => this.resolveLabel(team.id, name).id),
      assigneeId: seed.assignee ? this.requireUser(seed.assignee).id : null,
      projectId: seed.project ? (this.findProject(seed.project) ?? this.addProject(seed.project)).id : null,
      creatorId: this.workspace.viewerId,
      url: `${this.issueUrlBase}/${this.workspace.urlKey}/issue/${identifier.toLowerCase()}`,
      createdAt,
      updatedAt: seed.updatedAt ?? createdAt,
    };
    this.workspace.issues.push(issue);
    return issue;
  }

  /** Records that `blocker` blocks `blocked` (identifiers or ids). */
  addBlocksRelation(blocker: string, blocked: string): LinearIssueRelation {
    return this.addRelation('blocks', blocker, blocked);
  }

  addRelation(type: LinearRelationType, from: string, to: string): LinearIssueRelation {
    const relation: LinearIssueRelation = {
      id: randomUUID(),
      type,
      issueId: this.requireIssue(from).id,
      relatedIssueId: this.requireIssue(to).id,
      createdAt: this.stamp(),
    };
    this.workspace.relations.push(relation);
    return relation;
  }

  /**
   * A comment as stored, body verbatim (seeding a comment an older client
   * posted, say). `id` is the client-chosen one; it must be free.
   */
  addComment(issue: string, body: string, options: { userId?: string; id?: string } = {}): LinearComment {
    if (options.id !== undefined && this.commentIdTaken(options.id)) throw new Error(`Linear emulator: comment id ${options.id} is taken`);
    const stamp = this.stamp();
    const comment: LinearComment = {
      id: options.id ?? randomUUID(),
      issueId: this.requireIssue(issue).id,
      body,
      userId: options.userId ?? this.workspace.viewerId,
      createdAt: stamp,
      updatedAt: stamp,
    };
    this.workspace.comments.push(comment);
    return comment;
  }

  /**
   * Deletes a comment as a person would in Linear's UI. Its id stays
   * reserved. Whether Linear frees a deleted comment's id is not documented,
   * and keeping it reserved is the harder case for a client that chooses ids.
   */
  deleteComment(id: string): LinearComment | undefined {
    const at = this.workspace.comments.findIndex((c) => c.id === id);
    if (at < 0) return undefined;
    const [removed] = this.workspace.comments.splice(at, 1);
    this.deletedCommentIds.add(id.toLowerCase());
    return removed;
  }

  /** True while a comment has the id, or once had it and was deleted. */
  commentIdTaken(id: string): boolean {
    const lower = id.toLowerCase();
    return this.deletedCommentIds.has(lower) || this.workspace.comments.some((c) => c.id.toLowerCase() === lower);
  }

  findTeam(keyOrId: string): LinearTeam | undefined {
    return this.workspace.teams.find((t) => t.key === keyOrId || t.id === keyOrId);
  }

  requireTeam(keyOrId: string): LinearTeam {
    const team = this.findTeam(keyOrId);
    if (!team) throw new Error(`Linear emulator: no team ${keyOrId}`);
    return team;
  }

  teamStates(teamId: string): LinearWorkflowState[] {
    return this.workspace.workflowStates.filter((s) => s.teamId === teamId).sort((a, b) => a.position - b.position);
  }

  requireState(teamId: string, nameOrId: string): LinearWorkflowState {
    const state = this.teamStates(teamId).find((s) => s.name === nameOrId || s.id === nameOrId);
    if (!state) throw new Error(`Linear emulator: no state ${nameOrId}`);
    return state;
  }

  /** A team label of that name, else a workspace label, else a new team label. */
  resolveLabel(teamId: string, name: string): LinearLabel {
    const labels = this.workspace.labels;
    const existing =
      labels.find((l) => l.name === name && l.teamId === teamId) ?? labels.find((l) => l.name === name && l.teamId === null);
    return existing ?? this.addLabel({ name, team: teamId });
  }

  findProject(nameOrId: string): LinearProject | undefined {
    return this.workspace.projects.find((p) => p.id === nameOrId || p.name === nameOrId);
  }

  findUser(idOrEmail: string): LinearUser | undefined {
    return this.workspace.users.find((u) => u.id === idOrEmail || u.email === idOrEmail);
  }

  requireUser(idOrEmail: string): LinearUser {
    const user = this.findUser(idOrEmail);
    if (!user) throw new Error(`Linear emulator: no user ${idOrEmail}`);
    return user;
  }

  /** By id or identifier (`ENG-12`, case-insensitive). */
  findIssue(idOrIdentifier: string): LinearIssue | undefined {
    const upper = idOrIdentifier.toUpperCase();
    return this.workspace.issues.find((i) => i.id === idOrIdentifier || i.identifier === upper);
  }

  requireIssue(idOrIdentifier: string): LinearIssue {
    const issue = this.findIssue(idOrIdentifier);
    if (!issue) throw new Error(`Linear emulator: no issue ${idOrIdentifier}`);
    return issue;
  }

  touch(issue: LinearIssue): void {
    const stamp = this.stamp();
    // Keep updatedAt strictly increasing even when the clock stands still.
    issue.updatedAt = stamp > issue.updatedAt ? stamp : new Date(Date.parse(issue.updatedAt) + 1).toISOString();
  }
}

import type { GqlObject } from './graphql-executor.js';
import { matchesFilter, paginate, type FilterView, type PageArgs } from './linear-filter.js';
import type {
  LinearComment,
  LinearIssue,
  LinearIssueRelation,
  LinearLabel,
  LinearProject,
  LinearStore,
  LinearTeam,
  LinearUser,
  LinearWorkflowState,
} from './linear-state.js';

/**
 * Builds GraphQL resolver objects (see graphql-executor) from the emulator's
 * records, and the filter views Linear's filter language runs over. Every
 * object carries the fields @linear/sdk's fragments need to construct its
 * models; anything else the SDK asks for resolves to null.
 */

const PRIORITY_LABELS = ['No priority', 'Urgent', 'High', 'Medium', 'Low'];

export class LinearNodes {
  constructor(private readonly store: LinearStore) {}

  private get ws() {
    return this.store.workspace;
  }

  connection<T extends { id: string }>(
    typename: string,
    all: T[],
    args: Record<string, unknown>,
    toView: (item: T) => FilterView,
    toNode: (item: T) => GqlObject,
  ): GqlObject {
    const filtered = all.filter((item) => matchesFilter(toView(item), args.filter));
    const ordered = args.orderBy === 'updatedAt' ? sortByUpdated(filtered) : filtered;
    const page = paginate(ordered, args as PageArgs);
    const nodes = page.items.map(toNode);
    return {
      __typename: `${typename}Connection`,
      nodes,
      edges: nodes.map((node, i) => ({ __typename: `${typename}Edge`, node, cursor: (page.items[i] as T).id })),
      pageInfo: {
        __typename: 'PageInfo',
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: page.items[0]?.id ?? null,
        endCursor: page.items[page.items.length - 1]?.id ?? null,
      },
    };
  }

  issues(all: LinearIssue[], args: Record<string, unknown>): GqlObject {
    return this.connection('Issue', all, args, (i) => this.issueView(i), (i) => this.issue(i));
  }

  labels(all: LinearLabel[], args: Record<string, unknown>): GqlObject {
    return this.connection('IssueLabel', all, args, (l) => this.labelView(l), (l) => this.label(l));
  }

  states(all: LinearWorkflowState[], args: Record<string, unknown>): GqlObject {
    return this.connection('WorkflowState', all, args, (s) => this.stateView(s), (s) => this.state(s));
  }

  comments(all: LinearComment[], args: Record<string, unknown>): GqlObject {
    return this.connection('Comment', all, args, (c) => this.commentView(c), (c) => this.comment(c));
  }

  relations(all: LinearIssueRelation[], args: Record<string, unknown>): GqlObject {
    return this.connection('IssueRelation', all, args, (r) => ({ id: r.id, type: r.type }), (r) => this.relation(r));
  }

  teams(all: LinearTeam[], args: Record<string, unknown>): GqlObject {
    return this.connection('Team', all, args, (t) => this.teamView(t), (t) => this.team(t));
  }

  users(all: LinearUser[], args: Record<string, unknown>): GqlObject {
    return this.connection('User', all, args, (u) => this.userView(u), (u) => this.user(u));
  }

  projects(all: LinearProject[], args: Record<string, unknown>): GqlObject {
    return this.connection('Project', all, args, (p) => ({ id: p.id, name: p.name }), (p) => this.project(p));
  }

  user(u: LinearUser): GqlObject {
    return {
      __typename: 'User',
      __interfaces: ['Node'],
      id: u.id,
      name: u.name,
      displayName: u.displayName,
      email: u.email,
      active: u.active,
      app: u.app,
      admin: false,
      guest: false,
      owner: false,
      isMe: u.id === this.ws.viewerId,
      initials: u.name.split(/\s+/).map((part) => part[0] ?? '').join('').slice(0, 2).toUpperCase(),
      url: `https://linear.app/${this.ws.urlKey}/profile/${u.displayName}`,
      createdAt: u.createdAt,
      updatedAt: u.createdAt,
      createdIssueCount: this.ws.issues.filter((i) => i.creatorId === u.id).length,
      assignedIssues: (args: Record<string, unknown>) => this.issues(this.ws.issues.filter((i) => i.assigneeId === u.id), args),
      teams: (args: Record<string, unknown>) => this.teams(this.ws.teams, args),
    };
  }

  team(t: LinearTeam): GqlObject {
    return {
      __typename: 'Team',
      __interfaces: ['Node'],
      id: t.id,
      key: t.key,
      name: t.name,
      displayName: t.name,
      private: false,
      issueCount: this.ws.issues.filter((i) => i.teamId === t.id).length,
      createdAt: t.createdAt,
      updatedAt: t.createdAt,
      states: (args: Record<string, unknown>) => this.states(this.store.teamStates(t.id), args),
      labels: (args: Record<string, unknown>) => this.labels(this.ws.labels.filter((l) => l.teamId === t.id), args),
      issues: (args: Record<string, unknown>) => this.issues(this.ws.issues.filter((i) => i.teamId === t.id), args),
      members: (args: Record<string, unknown>) => this.users(this.ws.users, args),
    };
  }

  state(s: LinearWorkflowState): GqlObject {
    return {
      __typename: 'WorkflowState',
      __interfaces: ['Node'],
      id: s.id,
      name: s.name,
      type: s.type,
      position: s.position,
      color: s.color,
      description: null,
      createdAt: this.store.stamp(),
      updatedAt: this.store.stamp(),
      team: () => this.team(this.teamOf(s.teamId)),
      issues: (args: Record<string, unknown>) => this.issues(this.ws.issues.filter((i) => i.stateId === s.id), args),
    };
  }

  label(l: LinearLabel): GqlObject {
    return {
      __typename: 'IssueLabel',
      __interfaces: ['Node'],
      id: l.id,
      name: l.name,
      color: l.color,
      description: l.description,
      isGroup: false,
      createdAt: l.createdAt,
      updatedAt: l.createdAt,
      team: l.teamId ? () => this.team(this.teamOf(l.teamId as string)) : null,
      parent: null,
      issues: (args: Record<string, unknown>) => this.issues(this.ws.issues.filter((i) => i.labelIds.includes(l.id)), args),
      children: (args: Record<string, unknown>) => this.labels([], args),
    };
  }

  project(p: LinearProject): GqlObject {
    return {
      __typename: 'Project',
      __interfaces: ['Node'],
      id: p.id,
      name: p.name,
      issues: (args: Record<string, unknown>) => this.issues(this.ws.issues.filter((i) => i.projectId === p.id), args),
    };
  }

  issue(i: LinearIssue): GqlObject {
    const assignee = i.assigneeId ? this.store.findUser(i.assigneeId) : undefined;
    const project = i.projectId ? this.store.findProject(i.projectId) : undefined;
    const creator = i.creatorId ? this.store.findUser(i.creatorId) : undefined;
    const state = this.ws.workflowStates.find((s) => s.id === i.stateId);
    return {
      __typename: 'Issue',
      __interfaces: ['Node'],
      id: i.id,
      identifier: i.identifier,
      number: i.number,
      title: i.title,
      description: i.description,
      priority: i.priority,
      priorityLabel: PRIORITY_LABELS[i.priority] ?? 'No priority',
      url: i.url,
      branchName: `${i.identifier.toLowerCase()}-${slug(i.title)}`,
      labelIds: [...i.labelIds],
      previousIdentifiers: [],
      reactions: [],
      reactionData: {},
      customerTicketCount: 0,
      inheritsSharedAccess: false,
      trashed: false,
      sortOrder: i.number,
      boardOrder: 0,
      prioritySortOrder: i.priority,
      sharedAccess: {
        __typename: 'IssueSharedAccess',
        isShared: false,
        sharedWithCount: 0,
        sharedWithUsers: [],
        disallowedIssueFields: [],
        viewerHasOnlySharedAccess: false,
      },
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
      startedAt: state?.type === 'started' ? i.updatedAt : null,
      completedAt: state?.type === 'completed' ? i.updatedAt : null,
      canceledAt: state?.type === 'canceled' ? i.updatedAt : null,
      team: () => this.team(this.teamOf(i.teamId)),
      state: state ? () => this.state(state) : null,
      assignee: assignee ? () => this.user(assignee) : null,
      creator: creator ? () => this.user(creator) : null,
      project: project ? () => this.project(project) : null,
      parent: null,
      labels: (args: Record<string, unknown>) => this.labels(this.labelsOf(i), args),
      comments: (args: Record<string, unknown>) => this.comments(this.ws.comments.filter((c) => c.issueId === i.id), args),
      relations: (args: Record<string, unknown>) => this.relations(this.ws.relations.filter((r) => r.issueId === i.id), args),
      inverseRelations: (args: Record<string, unknown>) =>
        this.relations(this.ws.relations.filter((r) => r.relatedIssueId === i.id), args),
      children: (args: Record<string, unknown>) => this.issues([], args),
      attachments: (args: Record<string, unknown>) => this.connection('Attachment', [], args, () => ({}), () => ({ __typename: 'Attachment' })),
    };
  }

  relation(r: LinearIssueRelation): GqlObject {
    return {
      __typename: 'IssueRelation',
      __interfaces: ['Node'],
      id: r.id,
      type: r.type,
      createdAt: r.createdAt,
      updatedAt: r.createdAt,
      issue: () => this.issue(this.store.requireIssue(r.issueId)),
      relatedIssue: () => this.issue(this.store.requireIssue(r.relatedIssueId)),
    };
  }

  comment(c: LinearComment): GqlObject {
    const user = this.store.findUser(c.userId);
    return {
      __typename: 'Comment',
      __interfaces: ['Node'],
      id: c.id,
      body: c.body,
      issueId: c.issueId,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      editedAt: c.updatedAt === c.createdAt ? null : c.updatedAt,
      reactions: [],
      reactionData: {},
      url: `${this.store.requireIssue(c.issueId).url}#comment-${c.id.slice(0, 8)}`,
      issue: () => this.issue(this.store.requireIssue(c.issueId)),
      user: user ? () => this.user(user) : null,
      parent: null,
      children: (args: Record<string, unknown>) => this.comments([], args),
    };
  }

  labelsOf(i: LinearIssue): LinearLabel[] {
    return i.labelIds.map((id) => this.ws.labels.find((l) => l.id === id)).filter((l): l is LinearLabel => l !== undefined);
  }

  teamOf(teamId: string): LinearTeam {
    return this.store.requireTeam(teamId);
  }

  teamView(t: LinearTeam): FilterView {
    return { id: t.id, key: t.key, name: t.name, createdAt: t.createdAt, updatedAt: t.createdAt };
  }

  userView(u: LinearUser): FilterView {
    return { id: u.id, name: u.name, displayName: u.displayName, email: u.email, active: u.active, app: u.app, isMe: u.id === this.ws.viewerId };
  }

  stateView(s: LinearWorkflowState): FilterView {
    return { id: s.id, name: s.name, type: s.type, position: s.position, team: this.teamView(this.teamOf(s.teamId)) };
  }

  labelView(l: LinearLabel): FilterView {
    return { id: l.id, name: l.name, color: l.color, createdAt: l.createdAt, team: l.teamId ? this.teamView(this.teamOf(l.teamId)) : null };
  }

  commentView(c: LinearComment): FilterView {
    const user = this.store.findUser(c.userId);
    return { id: c.id, body: c.body, createdAt: c.createdAt, updatedAt: c.updatedAt, issue: { id: c.issueId }, user: user ? this.userView(user) : null };
  }

  issueView(i: LinearIssue): FilterView {
    const state = this.ws.workflowStates.find((s) => s.id === i.stateId);
    const assignee = i.assigneeId ? this.store.findUser(i.assigneeId) : undefined;
    const project = i.projectId ? this.store.findProject(i.projectId) : undefined;
    const creator = i.creatorId ? this.store.findUser(i.creatorId) : undefined;
    return {
      id: i.id,
      identifier: i.identifier,
      number: i.number,
      title: i.title,
      description: i.description,
      priority: i.priority,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
      team: this.teamView(this.teamOf(i.teamId)),
      state: state ? this.stateView(state) : null,
      labels: this.labelsOf(i).map((l) => this.labelView(l)),
      assignee: assignee ? this.userView(assignee) : null,
      creator: creator ? this.userView(creator) : null,
      project: project ? { id: project.id, name: project.name } : null,
      parent: null,
    };
  }
}

function sortByUpdated<T>(items: T[]): T[] {
  return [...items].sort((a, b) => String((b as { updatedAt?: string }).updatedAt ?? '').localeCompare(String((a as { updatedAt?: string }).updatedAt ?? '')));
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
}

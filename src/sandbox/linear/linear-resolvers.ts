import type { GqlObject } from './graphql-executor.js';
import { buildCommentMutations, type CommentMutationOptions } from './linear-comment-mutations.js';
import type { LinearNodes } from './linear-nodes.js';
import { input, invalidInput, notFound, text, type Args } from './linear-resolver-args.js';
import type { LinearIssue, LinearLabel, LinearStore } from './linear-state.js';

/**
 * The root `Query` and `Mutation` objects of the Linear emulator. Mutations
 * change the store and answer with Linear's payload shapes
 * (`{ success, lastSyncId, <entity> }`).
 */

export function buildQueryRoot(store: LinearStore, nodes: LinearNodes): GqlObject {
  const ws = store.workspace;
  const byId = <T extends { id: string }>(list: T[], entity: string, id: string): T => {
    const found = list.find((item) => item.id === id);
    if (!found) throw notFound(entity);
    return found;
  };
  return {
    __typename: 'Query',
    viewer: () => nodes.user(byId(ws.users, 'User', ws.viewerId)),
    organization: () => ({ __typename: 'Organization', id: ws.urlKey, name: ws.urlKey, urlKey: ws.urlKey, projectStatuses: [] }),
    users: (args: Args) => nodes.users(ws.users, args),
    user: (args: Args) => nodes.user(byId(ws.users, 'User', text(args, 'id'))),
    teams: (args: Args) => nodes.teams(ws.teams, args),
    team: (args: Args) => {
      const team = store.findTeam(text(args, 'id'));
      if (!team) throw notFound('Team');
      return nodes.team(team);
    },
    workflowStates: (args: Args) => nodes.states(ws.workflowStates, args),
    workflowState: (args: Args) => nodes.state(byId(ws.workflowStates, 'WorkflowState', text(args, 'id'))),
    issueLabels: (args: Args) => nodes.labels(ws.labels, args),
    issueLabel: (args: Args) => nodes.label(byId(ws.labels, 'IssueLabel', text(args, 'id'))),
    issues: (args: Args) => nodes.issues(ws.issues, args),
    issue: (args: Args) => {
      const issue = store.findIssue(text(args, 'id'));
      if (!issue) throw notFound('Issue');
      return nodes.issue(issue);
    },
    issueRelations: (args: Args) => nodes.relations(ws.relations, args),
    issueRelation: (args: Args) => nodes.relation(byId(ws.relations, 'IssueRelation', text(args, 'id'))),
    comments: (args: Args) => nodes.comments(ws.comments, args),
    comment: (args: Args) => nodes.comment(byId(ws.comments, 'Comment', text(args, 'id'))),
    projects: (args: Args) => nodes.projects(ws.projects, args),
    project: (args: Args) => nodes.project(byId(ws.projects, 'Project', text(args, 'id'))),
  };
}

export function buildMutationRoot(
  store: LinearStore,
  nodes: LinearNodes,
  nextSyncId: () => number,
  commentOptions: CommentMutationOptions,
): GqlObject {
  const ws = store.workspace;
  const requireIssue = (id: string): LinearIssue => {
    const issue = store.findIssue(id);
    if (!issue) throw notFound('Issue');
    return issue;
  };
  const requireLabels = (ids: unknown): LinearLabel[] => {
    if (!Array.isArray(ids)) throw invalidInput('Label ids must be a list.');
    return ids.map((id) => {
      const label = ws.labels.find((l) => l.id === id);
      if (!label) throw notFound('IssueLabel');
      return label;
    });
  };
  const issuePayload = (issue: LinearIssue): GqlObject => ({
    __typename: 'IssuePayload',
    success: true,
    lastSyncId: nextSyncId(),
    issue: nodes.issue(issue),
  });

  const applyIssueUpdate = (issue: LinearIssue, changes: Args): void => {
    if (typeof changes.stateId === 'string') {
      const state = ws.workflowStates.find((s) => s.id === changes.stateId);
      if (!state) throw notFound('WorkflowState');
      if (state.teamId !== issue.teamId) throw invalidInput('Workflow state does not belong to the issue\'s team.');
      issue.stateId = state.id;
    }
    let labelIds = [...issue.labelIds];
    if (changes.labelIds !== undefined && changes.labelIds !== null) labelIds = requireLabels(changes.labelIds).map((l) => l.id);
    if (changes.addedLabelIds !== undefined && changes.addedLabelIds !== null) {
      for (const label of requireLabels(changes.addedLabelIds)) if (!labelIds.includes(label.id)) labelIds.push(label.id);
    }
    if (changes.removedLabelIds !== undefined && changes.removedLabelIds !== null) {
      const removed = new Set(requireLabels(changes.removedLabelIds).map((l) => l.id));
      labelIds = labelIds.filter((id) => !removed.has(id));
    }
    for (const label of requireLabels(labelIds)) {
      if (label.teamId !== null && label.teamId !== issue.teamId) throw invalidInput(`Label ${label.name} belongs to another team.`);
    }
    issue.labelIds = labelIds;
    if (changes.assigneeId !== undefined) {
      if (changes.assigneeId !== null && !store.findUser(String(changes.assigneeId))) throw notFound('User');
      issue.assigneeId = changes.assigneeId === null ? null : String(changes.assigneeId);
    }
    if (changes.projectId !== undefined) {
      if (changes.projectId !== null && !store.findProject(String(changes.projectId))) throw notFound('Project');
      issue.projectId = changes.projectId === null ? null : String(changes.projectId);
    }
    if (typeof changes.title === 'string') issue.title = changes.title;
    if (changes.description !== undefined) issue.description = changes.description === null ? null : String(changes.description);
    if (typeof changes.priority === 'number') issue.priority = changes.priority;
    store.touch(issue);
  };

  return {
    __typename: 'Mutation',
    issueUpdate: (args: Args) => {
      const issue = requireIssue(text(args, 'id'));
      applyIssueUpdate(issue, input(args));
      return issuePayload(issue);
    },
    issueAddLabel: (args: Args) => {
      const issue = requireIssue(text(args, 'id'));
      applyIssueUpdate(issue, { addedLabelIds: [text(args, 'labelId')] });
      return issuePayload(issue);
    },
    issueRemoveLabel: (args: Args) => {
      const issue = requireIssue(text(args, 'id'));
      applyIssueUpdate(issue, { removedLabelIds: [text(args, 'labelId')] });
      return issuePayload(issue);
    },
    issueCreate: (args: Args) => {
      const fields = input(args);
      const team = store.findTeam(text(fields, 'teamId'));
      if (!team) throw notFound('Team');
      const issue = store.addIssue({ team: team.id, title: text(fields, 'title'), description: (fields.description as string | undefined) ?? null });
      applyIssueUpdate(issue, fields);
      return issuePayload(issue);
    },
    ...buildCommentMutations(store, nodes, nextSyncId, commentOptions),
    issueLabelCreate: (args: Args) => {
      const fields = input(args);
      const name = text(fields, 'name');
      const teamId = typeof fields.teamId === 'string' ? fields.teamId : null;
      if (teamId && !store.findTeam(teamId)) throw notFound('Team');
      const clash = ws.labels.find((l) => l.name.toLowerCase() === name.toLowerCase() && (l.teamId === teamId || l.teamId === null));
      if (clash) throw invalidInput(`Duplicate label name: a label named "${name}" already exists.`);
      const label = store.addLabel({ name, team: teamId, color: typeof fields.color === 'string' ? fields.color : undefined });
      return { __typename: 'IssueLabelPayload', success: true, lastSyncId: nextSyncId(), issueLabel: nodes.label(label) };
    },
    issueRelationCreate: (args: Args) => {
      const fields = input(args);
      const type = text(fields, 'type');
      if (!['blocks', 'related', 'duplicate', 'similar'].includes(type)) throw invalidInput(`Unknown relation type ${type}.`);
      const relation = store.addRelation(
        type as 'blocks',
        requireIssue(text(fields, 'issueId')).id,
        requireIssue(text(fields, 'relatedIssueId')).id,
      );
      return { __typename: 'IssueRelationPayload', success: true, lastSyncId: nextSyncId(), issueRelation: nodes.relation(relation) };
    },
  };
}

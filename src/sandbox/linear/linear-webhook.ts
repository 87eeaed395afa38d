import { createHmac, randomUUID } from 'node:crypto';
import type { LinearNodes } from './linear-nodes.js';
import type { LinearComment, LinearIssue, LinearStore, LinearUser } from './linear-state.js';

/**
 * Linear webhook deliveries as Linear sends them: a JSON body with
 * `webhookTimestamp` (ms), signed with hex HMAC-SHA256 of the raw body in
 * `Linear-Signature`, identified by `Linear-Delivery`, typed by `Linear-Event`.
 */

export interface LinearWebhookDelivery {
  /** The exact bytes to POST; the signature covers these. */
  body: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

export function signLinearWebhook(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function issueWebhookData(store: LinearStore, nodes: LinearNodes, issue: LinearIssue): Record<string, unknown> {
  const state = store.workspace.workflowStates.find((s) => s.id === issue.stateId);
  const team = store.requireTeam(issue.teamId);
  return {
    id: issue.id,
    identifier: issue.identifier,
    number: issue.number,
    title: issue.title,
    description: issue.description,
    priority: issue.priority,
    url: issue.url,
    createdAt: issue.createdAt,
    updatedAt: issue.updatedAt,
    teamId: team.id,
    team: { id: team.id, key: team.key, name: team.name },
    stateId: issue.stateId,
    state: state ? { id: state.id, name: state.name, type: state.type, color: state.color } : null,
    labelIds: [...issue.labelIds],
    labels: nodes.labelsOf(issue).map((l) => ({ id: l.id, name: l.name, color: l.color })),
    assigneeId: issue.assigneeId,
    projectId: issue.projectId,
    creatorId: issue.creatorId,
  };
}

export function buildLinearWebhook(
  store: LinearStore,
  nodes: LinearNodes,
  issue: LinearIssue,
  options: { secret: string; action?: 'create' | 'update' | 'remove'; updatedFrom?: Record<string, unknown>; webhookId?: string; actor?: LinearUser },
): LinearWebhookDelivery {
  const now = Date.parse(store.stamp());
  const payload: Record<string, unknown> = {
    action: options.action ?? 'update',
    type: 'Issue',
    createdAt: new Date(now).toISOString(),
    data: issueWebhookData(store, nodes, issue),
    url: issue.url,
    organizationId: store.workspace.urlKey,
    webhookTimestamp: now,
    webhookId: options.webhookId ?? 'sandbox-webhook',
  };
  if (options.updatedFrom) payload.updatedFrom = options.updatedFrom;
  if (options.actor) payload.actor = actorOf(options.actor);
  return signed(payload, 'Issue', options.secret);
}

function actorOf(user: LinearUser): Record<string, unknown> {
  return { id: user.id, name: user.name, email: user.email, type: 'user' };
}

function signed(payload: Record<string, unknown>, event: string, secret: string): LinearWebhookDelivery {
  const body = JSON.stringify(payload);
  return {
    body,
    payload,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'linear-delivery': randomUUID(),
      'linear-event': event,
      'linear-signature': signLinearWebhook(body, secret),
      'user-agent': 'Linear-Webhook',
    },
  };
}

/** A `Comment` `create` delivery: the comment, its issue in brief, and who wrote it. */
export function buildLinearCommentWebhook(store: LinearStore, comment: LinearComment, options: { secret: string; webhookId?: string }): LinearWebhookDelivery {
  const now = Date.parse(store.stamp());
  const issue = store.requireIssue(comment.issueId);
  const user = store.findUser(comment.userId);
  const url = `${issue.url}#comment-${comment.id.slice(0, 8)}`;
  const payload: Record<string, unknown> = {
    action: 'create',
    type: 'Comment',
    createdAt: new Date(now).toISOString(),
    data: {
      id: comment.id,
      createdAt: comment.createdAt,
      updatedAt: comment.updatedAt,
      body: comment.body,
      issueId: issue.id,
      userId: comment.userId,
      issue: { id: issue.id, identifier: issue.identifier, title: issue.title, teamId: issue.teamId, url: issue.url },
      ...(user ? { user: { id: user.id, name: user.name, email: user.email } } : {}),
    },
    url,
    organizationId: store.workspace.urlKey,
    webhookTimestamp: now,
    webhookId: options.webhookId ?? 'sandbox-webhook',
    ...(user ? { actor: actorOf(user) } : {}),
  };
  return signed(payload, 'Comment', options.secret);
}

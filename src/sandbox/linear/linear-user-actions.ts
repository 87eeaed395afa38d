import type { WebhookSender } from '../webhook-sender.js';
import type { LinearNodes } from './linear-nodes.js';
import type { IssueSeed, LinearComment, LinearIssue, LinearStore, LinearUser } from './linear-state.js';
import { buildLinearCommentWebhook, buildLinearWebhook } from './linear-webhook.js';

export interface LinearUserActionResult {
  issue: LinearIssue;
  /** The orchestrator's answer to the webhook; undefined when no webhook target is connected. */
  delivered: number | 'failed' | undefined;
}

/** What a person does in Linear's app, done on the emulator: the change, then the webhook Linear sends for it. */
export class LinearUserActions {
  private person: LinearUser | undefined;

  constructor(
    private readonly store: LinearStore,
    private readonly nodes: LinearNodes,
    private readonly webhooks: WebhookSender,
  ) {}

  /** The workspace member the sandbox user acts as (created on first use). */
  get user(): LinearUser {
    this.person ??= this.store.workspace.users.find((u) => u.email === 'you@sandbox.test') ?? this.store.addUser({ name: 'Sandbox User', email: 'you@sandbox.test' });
    return this.person;
  }

  /** A new issue (`Issue` `create`). */
  async createIssue(seed: IssueSeed): Promise<LinearUserActionResult> {
    const issue = this.store.addIssue(seed);
    issue.creatorId = this.user.id;
    const delivered = await this.webhooks.send('Issue.create', (secret) => buildLinearWebhook(this.store, this.nodes, issue, { secret, action: 'create', actor: this.user }));
    return { issue, delivered };
  }

  /** Adds or removes one label (`Issue` `update`, `updatedFrom.labelIds` holding the labels before). */
  async setLabel(idOrIdentifier: string, labelName: string, on: boolean): Promise<LinearUserActionResult> {
    const issue = this.store.requireIssue(idOrIdentifier);
    const before = { labelIds: [...issue.labelIds], updatedAt: issue.updatedAt };
    const label = this.store.resolveLabel(issue.teamId, labelName);
    const has = issue.labelIds.includes(label.id);
    if (has === on) return { issue, delivered: undefined };
    issue.labelIds = on ? [...issue.labelIds, label.id] : issue.labelIds.filter((id) => id !== label.id);
    this.store.touch(issue);
    const delivered = await this.webhooks.send('Issue.update', (secret) => buildLinearWebhook(this.store, this.nodes, issue, { secret, action: 'update', updatedFrom: before, actor: this.user }));
    return { issue, delivered };
  }

  /** A comment on the issue (`Comment` `create`). */
  async comment(idOrIdentifier: string, body: string): Promise<LinearUserActionResult & { comment: LinearComment }> {
    const issue = this.store.requireIssue(idOrIdentifier);
    const comment = this.store.addComment(issue.id, body, { userId: this.user.id });
    const delivered = await this.webhooks.send('Comment.create', (secret) => buildLinearCommentWebhook(this.store, comment, { secret }));
    return { issue, comment, delivered };
  }
}

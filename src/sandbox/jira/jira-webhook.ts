import { createHmac, randomUUID } from 'node:crypto';
import type { JiraFormatter } from './jira-format.js';
import type { JiraIssue, JiraUser } from './jira-state.js';

/**
 * Jira Cloud admin-webhook deliveries: the body signed with HMAC-SHA256 of
 * the raw bytes, sent as `X-Hub-Signature: sha256=<hex>` (WebSub style), and
 * identified by `X-Atlassian-Webhook-Identifier`.
 */

export interface JiraChangelogItem {
  field: string;
  fieldtype: 'jira' | 'custom';
  fieldId?: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface JiraWebhookDelivery {
  /** The exact bytes to POST; the signature covers these. */
  body: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

export function signJiraWebhook(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function buildIssueUpdatedWebhook(
  format: JiraFormatter,
  issue: JiraIssue,
  options: { secret: string; user?: JiraUser; changelog?: JiraChangelogItem[]; timestamp: number },
): JiraWebhookDelivery {
  const payload: Record<string, unknown> = {
    timestamp: options.timestamp,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: format.user(options.user),
    issue: format.issue(issue, undefined),
    changelog: { id: String(options.timestamp), items: options.changelog ?? [] },
  };
  const body = JSON.stringify(payload);
  return {
    body,
    payload,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-atlassian-webhook-identifier': randomUUID(),
      'x-atlassian-webhook-flow': 'Primary',
      'x-hub-signature': signJiraWebhook(body, options.secret),
      'user-agent': 'Atlassian Webhook HTTP Client',
    },
  };
}

import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { html, htmlPage, seeOther } from '../html-page.js';
import type { WebhookSender } from '../webhook-sender.js';
import { adfText, type JiraFormatter } from './jira-format.js';
import type { JiraStore } from './jira-state.js';
import { buildIssueUpdatedWebhook } from './jira-webhook.js';

const PAGE_PATH = /^\/browse\/([A-Z][A-Z0-9_]*-\d+)(?:\/(ready))?\/?$/;

export function isBrowsePath(path: string): boolean {
  return PAGE_PATH.test(path);
}

const STATUS_FIELD = 'AI-Implement Status';

/**
 * Jira's issue page at `/browse/<KEY>` (where ticket links point), as far as
 * a sandbox user needs it: summary, status, the AI-Implement fields,
 * description and comments, and a button that sets the AI-Implement Status
 * to Ready, which sends the `jira:issue_updated` webhook Jira would.
 */
export async function handleBrowsePage(req: EmulatorRequest, deps: { store: JiraStore; format: JiraFormatter; webhooks: WebhookSender; now: () => Date }): Promise<EmulatorResponse> {
  const [, key = '', action] = PAGE_PATH.exec(req.path) ?? [];
  const issue = deps.store.findIssue(key);
  if (!issue) return htmlPage('Jira', 'Not Found', html`<div class="card"><h1>404</h1><p>Issue ${key} does not exist.</p></div>`, 404);
  const field = deps.store.findCustomField(STATUS_FIELD);
  if (req.method === 'POST' && action === 'ready' && field) {
    const before = deps.store.customValue(issue, STATUS_FIELD);
    const option = deps.store.findOption(field, 'Ready');
    if (option && before !== 'Ready') {
      issue.custom[field.id] = field.type === 'select' ? option.id : 'Ready';
      deps.store.touch(issue);
      const changelog = [{ field: STATUS_FIELD, fieldtype: 'custom' as const, fieldId: field.id, from: null, fromString: before, to: option.id, toString: 'Ready' }];
      await deps.webhooks.send('jira:issue_updated', (secret) => buildIssueUpdatedWebhook(deps.format, issue, { secret, changelog, timestamp: deps.now().getTime() }));
    }
    return seeOther(`/browse/${issue.key}`);
  }
  if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
  const fields = deps.store.site.customFields.map((f) => html`<li>${f.name}: <strong>${deps.store.customValue(issue, f.id) ?? '—'}</strong></li>`);
  const comments = deps.store.site.comments
    .filter((c) => c.issueId === issue.id)
    .map((c) => html`<div class="card comment"><p class="muted">${c.created}</p><pre>${adfText(c.body)}</pre></div>`);
  return htmlPage(
    'Jira',
    `[${issue.key}] ${issue.summary}`,
    html`<p class="muted">${issue.key}</p><h1 data-testid="ticket-title">${issue.summary}</h1>
<p><span class="badge muted">${deps.store.requireStatus(issue.statusId).name}</span></p><ul>${fields}</ul>
<div class="card"><pre data-testid="ticket-description">${adfText(issue.description) || 'No description.'}</pre></div>
${comments}
${field ? html`<div class="card"><form method="post" action="/browse/${issue.key}/ready"><button type="submit">Set ${STATUS_FIELD} to Ready</button></form></div>` : ''}`,
  );
}

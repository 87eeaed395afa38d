import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { formField, html, htmlPage, seeOther } from '../html-page.js';
import type { LinearNodes } from './linear-nodes.js';
import type { LinearStore } from './linear-state.js';
import type { LinearUserActions } from './linear-user-actions.js';

const PAGE_PATH = /^\/([^/]+)\/issue\/([A-Za-z0-9]+-\d+)(?:\/(comment|label))?\/?$/;

export function isIssuePagePath(path: string): boolean {
  return PAGE_PATH.test(path);
}

/**
 * Linear's issue page, as far as a sandbox user needs it: title, state,
 * labels, description and comments, with forms to comment and to add or
 * remove the AI-Implement label (each sends Linear's webhook). Issue `url`s
 * point here in sandbox mode, so the panels' ticket links open it.
 */
export async function handleIssuePage(req: EmulatorRequest, deps: { store: LinearStore; nodes: LinearNodes; actions: LinearUserActions; label: string }): Promise<EmulatorResponse> {
  const [, urlKey = '', identifier = '', action] = PAGE_PATH.exec(req.path) ?? [];
  const issue = urlKey === deps.store.workspace.urlKey ? deps.store.findIssue(identifier.toUpperCase()) : undefined;
  if (!issue) return htmlPage('Linear', 'Not Found', html`<div class="card"><h1>404</h1><p>There is no issue ${identifier.toUpperCase()} in this workspace.</p></div>`, 404);
  const here = `/${urlKey}/issue/${issue.identifier.toLowerCase()}`;
  if (req.method === 'POST') {
    const body = (formField(req.body, 'body') ?? '').trim();
    if (action === 'comment' && body) await deps.actions.comment(issue.id, body);
    if (action === 'label') await deps.actions.setLabel(issue.id, deps.label, formField(req.body, 'on') === 'true');
    return seeOther(here);
  }
  if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
  const state = deps.store.workspace.workflowStates.find((s) => s.id === issue.stateId);
  const labels = deps.nodes.labelsOf(issue).map((l) => l.name);
  const labelled = labels.includes(deps.label);
  const comments = deps.store.workspace.comments
    .filter((c) => c.issueId === issue.id)
    .map((c) => html`<div class="card comment"><p class="muted"><strong>${deps.store.findUser(c.userId)?.name ?? 'someone'}</strong> · ${c.createdAt}</p><pre>${c.body}</pre></div>`);
  return htmlPage(
    'Linear',
    `${issue.identifier} ${issue.title}`,
    html`<p class="muted">${issue.identifier}</p><h1 data-testid="ticket-title">${issue.title}</h1>
<p><span class="badge muted">${state?.name ?? 'unknown state'}</span> ${labels.map((l) => html`<span class="badge">${l}</span> `)}</p>
<div class="card"><pre data-testid="ticket-description">${issue.description ?? 'No description.'}</pre></div>
${comments}
<div class="card"><form method="post" action="${here}/label"><input type="hidden" name="on" value="${labelled ? 'false' : 'true'}"><button type="submit">${labelled ? `Remove the ${deps.label} label` : `Add the ${deps.label} label`}</button></form></div>
<div class="card"><form method="post" action="${here}/comment"><label for="comment-body">Comment</label><textarea id="comment-body" name="body" required></textarea><p><button class="primary" type="submit">Comment</button></p></form></div>`,
  );
}

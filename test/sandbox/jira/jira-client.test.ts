import { HttpException, Version3Client, type Version3 } from 'jira.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JiraEmulator } from '../../../src/sandbox/jira/index.js';
import { auditJira, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

// The real jira.js Version3Client (axios) against the emulator.
// Loopback must never go through a proxy.
process.env.NO_PROXY = [process.env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
process.env.no_proxy = process.env.NO_PROXY;

const RICH_COMMENT: Version3.Version3Models.Document = {
  type: 'doc',
  version: 1,
  content: [
    { type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: 'Plan' }] },
    {
      type: 'paragraph',
      content: [
        { type: 'text', text: 'See ' },
        { type: 'text', text: 'PR #12', marks: [{ type: 'link', attrs: { href: 'https://github.com/acme/app/pull/12' } }] },
        { type: 'text', text: ' — ', marks: [{ type: 'strong' }] },
      ],
    },
    { type: 'codeBlock', attrs: { language: 'bash' }, content: [{ type: 'text', text: 'npm test' }] },
    { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'step one' }] }] }] },
  ],
};

describe('JiraEmulator with jira.js Version3Client', () => {
  const emulator = new JiraEmulator();
  const audit = auditJira(emulator.server);
  let client: Version3Client;
  let base: string;

  beforeAll(async () => {
    base = await emulator.start();
    const s = emulator.store;
    s.addProject('OPS', 'Operations');
    s.addProject('WEB', 'Website');
    // OPS-1..OPS-5 marked Ready, OPS-6 Implementing, OPS-7 unset.
    for (let n = 1; n <= 7; n += 1) {
      s.addIssue({
        project: 'OPS',
        summary: `Ops task ${n}`,
        description: `Details for task ${n}`,
        labels: n === 3 ? ['AI-Implement', 'infra'] : ['AI-Implement'],
        custom: n <= 5 ? { 'AI-Implement Status': 'Ready', 'AI-Implement Repo': 'acme/ops' } : n === 6 ? { 'AI-Implement Status': 'Implementing' } : {},
      });
    }
    s.addIssue({ project: 'WEB', summary: 'Web task', custom: { 'AI-Implement Status': 'Ready' } });
    client = new Version3Client({ host: base, authentication: { basic: { email: emulator.email, apiToken: emulator.apiToken } } });
  });

  afterEach(() => emulator.server.clearFaults());
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Jira');
  });

  it('pages an enhanced JQL search with a custom-field clause by nextPageToken', async () => {
    const jql = 'project = OPS AND "AI-Implement Status" = Ready ORDER BY key ASC';
    const keys: string[] = [];
    let nextPageToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({
        jql,
        maxResults: 2,
        fields: ['summary', 'status', 'labels', 'customfield_10042'],
        nextPageToken,
      });
      for (const issue of page.issues ?? []) {
        keys.push(issue.key);
        expect((issue.fields.customfield_10042 as { value: string }).value).toBe('Ready');
        expect(issue.fields.status?.statusCategory?.key).toBe('new');
        expect(issue.fields.description).toBeUndefined();
      }
      nextPageToken = page.nextPageToken ?? undefined;
      pages += 1;
    } while (nextPageToken);
    expect(pages).toBe(3);
    expect(keys).toEqual(['OPS-1', 'OPS-2', 'OPS-3', 'OPS-4', 'OPS-5']);
  });

  it('searches by POST with cf[] ids, labels and ORDER BY DESC', async () => {
    const page = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
      jql: 'cf[10042] in (Ready, Implementing) AND labels = AI-Implement ORDER BY key DESC',
      fields: ['summary'],
      maxResults: 50,
    });
    expect(page.issues?.map((i) => i.key)).toEqual(['OPS-6', 'OPS-5', 'OPS-4', 'OPS-3', 'OPS-2', 'OPS-1']);
    // `isLast` is in Jira's answer though jira.js does not type it.
    expect((page as { isLast?: boolean }).isLast).toBe(true);
  });

  it('answers unknown fields in JQL with 400 and Jira errorMessages', async () => {
    const error = await client.issueSearch
      .searchForIssuesUsingJqlEnhancedSearch({ jql: 'nosuchfield = 1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).status).toBe(400);
    expect(((error as HttpException).response as { data: { errorMessages: string[] } }).data.errorMessages).toEqual([
      "Field 'nosuchfield' does not exist or you do not have permission to view it.",
    ]);
  });

  it('gets an issue with a fields selection', async () => {
    const issue = await client.issues.getIssue({ issueIdOrKey: 'OPS-3', fields: ['summary', 'labels', 'status', 'customfield_10043', 'description'] });
    expect(issue.key).toBe('OPS-3');
    expect(issue.fields.summary).toBe('Ops task 3');
    expect(issue.fields.labels).toEqual(['AI-Implement', 'infra']);
    expect(issue.fields.customfield_10043).toBe('acme/ops');
    expect(issue.fields.status?.name).toBe('To Do');
    expect(issue.fields.description).toMatchObject({ type: 'doc', content: [{ type: 'paragraph', content: [{ text: 'Details for task 3' }] }] });
    expect(issue.fields.assignee).toBeUndefined();
  });

  it('lists transitions and performs one', async () => {
    const { transitions } = await client.issues.getTransitions({ issueIdOrKey: 'OPS-1' });
    expect(transitions?.map((t) => [t.name, t.to?.name])).toEqual([
      ['Start Progress', 'In Progress'],
      ['Ready for Review', 'In Review'],
      ['Done', 'Done'],
    ]);
    const start = transitions?.find((t) => t.name === 'Start Progress');
    await client.issues.doTransition({ issueIdOrKey: 'OPS-1', transition: { id: start?.id } });
    expect(emulator.statusOf('OPS-1')).toBe('In Progress');
    const after = await client.issues.getIssue({ issueIdOrKey: 'OPS-1', fields: ['status'] });
    expect(after.fields.status?.statusCategory?.key).toBe('indeterminate');

    const bad = await client.issues.doTransition({ issueIdOrKey: 'OPS-1', transition: { id: '999' } }).catch((e: unknown) => e);
    expect((bad as HttpException).status).toBe(400);
    expect(emulator.statusOf('OPS-1')).toBe('In Progress');
  });

  it('adds an ADF comment, reads it back intact, and edits it', async () => {
    const created = await client.issueComments.addComment({ issueIdOrKey: 'OPS-2', comment: RICH_COMMENT });
    expect(created.id).toBeTruthy();
    expect(created.author?.displayName).toBe('AI-Implement');
    const listed = await client.issueComments.getComments({ issueIdOrKey: 'OPS-2' });
    expect(listed.total).toBe(1);
    expect(listed.comments?.[0]?.body).toEqual(RICH_COMMENT);
    expect(emulator.commentBodies('OPS-2')).toEqual([RICH_COMMENT]);

    const edited = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'edited' }] }] };
    await client.issueComments.updateComment({ issueIdOrKey: 'OPS-2', id: created.id as string, body: edited });
    expect(emulator.commentBodies('OPS-2')).toEqual([edited]);
  });

  it('rejects a comment body that is not ADF', async () => {
    const res = await fetch(`${base}/rest/api/3/issue/OPS-2/comment`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${emulator.email}:${emulator.apiToken}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'plain text' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Record<string, string> }).errors.comment).toMatch(/Atlassian Document/);
  });

  it('edits a custom select field and labels, validating options', async () => {
    await client.issues.editIssue({
      issueIdOrKey: 'OPS-4',
      fields: { customfield_10042: { value: 'Implementing' } },
      update: { labels: [{ add: 'ai-running' }, { remove: 'AI-Implement' }] },
    });
    expect(emulator.customValue('OPS-4', 'AI-Implement Status')).toBe('Implementing');
    expect(emulator.issue('OPS-4').labels).toEqual(['ai-running']);

    const bad = await client.issues.editIssue({ issueIdOrKey: 'OPS-4', fields: { customfield_10042: { value: 'Bogus' } } }).catch((e: unknown) => e);
    expect((bad as HttpException).status).toBe(400);
    expect(emulator.customValue('OPS-4', 'AI-Implement Status')).toBe('Implementing');
  });

  it('lists fields, contexts and select options', async () => {
    const fields = await client.issueFields.getFields();
    const status = fields.find((f) => f.name === 'AI-Implement Status');
    expect(status).toMatchObject({ id: 'customfield_10042', custom: true, schema: { type: 'option', customId: 10042 } });
    expect(fields.find((f) => f.id === 'summary')?.custom).toBe(false);
    const contexts = await client.issueCustomFieldContexts.getContextsForField({ fieldId: 'customfield_10042' });
    const contextId = contexts.values?.[0]?.id as string;
    const options = await client.issueCustomFieldOptions.getOptionsForContext({ fieldId: 'customfield_10042', contextId: Number(contextId) });
    expect(options.values?.map((o) => o.value)).toEqual(['Ready', 'Plan Approved', 'Planning', 'Implementing', 'PR Ready', 'Failed', 'Needs Human', 'Paused']);
  });

  it('parses good and bad JQL in Jira\'s response shape', async () => {
    const result = await client.jql.parseJqlQueries({
      validation: 'strict',
      queries: ['project = OPS AND "AI-Implement Status" = Ready ORDER BY updated DESC', 'project = OPS AND', 'bogus = 1'],
    });
    const [good, broken, unknown] = result.queries ?? [];
    expect(good?.errors).toBeUndefined();
    expect(good?.structure?.where).toMatchObject({
      operator: 'and',
      clauses: [{ field: { name: 'project' }, operator: '=', operand: { value: 'OPS' } }, { field: { name: 'AI-Implement Status' } }],
    });
    expect(good?.structure?.orderBy?.fields?.[0]).toMatchObject({ field: { name: 'updated' }, direction: 'desc' });
    expect(broken?.errors?.[0]).toMatch(/^Error in the JQL Query: Expecting a field name but got '<EOF>'/);
    expect(unknown?.errors).toEqual(["Field 'bogus' does not exist or you do not have permission to view it."]);
  });

  it('answers myself', async () => {
    const me = await client.myself.getCurrentUser();
    expect(me.emailAddress).toBe(emulator.email);
    expect(me.accountType).toBe('app');
  });

  it('rejects wrong credentials with 401', async () => {
    const wrong = new Version3Client({ host: base, authentication: { basic: { email: emulator.email, apiToken: 'nope' } } });
    const error = await wrong.myself.getCurrentUser().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).status).toBe(401);
  });

  it('answers the retired /rest/api/3/search with 410', async () => {
    const error = await client.issueSearch.searchForIssuesUsingJql({ jql: 'project = OPS' }).catch((e: unknown) => e);
    expect((error as HttpException).status).toBe(410);
  });

  it('surfaces an injected 429 with Retry-After through the SDK', async () => {
    emulator.server.injectFault({ kind: 'rate-limit', path: '/rest/api/3/search/jql', retryAfterSeconds: 9, times: 1 });
    const error = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = OPS' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).status).toBe(429);
    const cause = (error as HttpException).cause as { response?: { headers?: Record<string, string> } };
    expect(cause.response?.headers?.['retry-after']).toBe('9');
    const retry = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = OPS' });
    expect(retry.issues?.length).toBe(7);
  });
});

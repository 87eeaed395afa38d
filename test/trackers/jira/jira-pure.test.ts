import { describe, expect, it } from 'vitest';
import { adfToText, buildCandidateJql, isAtTarget, markdownToAdf, pickTransition, quoteJql, splitOrderBy } from '../../../src/trackers/jira/index.js';
import { toWorkItem, DEFAULT_JIRA_STATUS_VALUES } from '../../../src/trackers/jira/jira-work-item.js';

// The Jira adapter's pure pieces: JQL building, ADF conversion, transition
// choice, and link-based blockers (the emulator has no issue links).

describe('Jira JQL', () => {
  it('escapes quotes and backslashes in values', () => {
    expect(quoteJql('acme/we"b\\x')).toBe('"acme/we\\"b\\\\x"');
  });

  it('moves an ORDER BY after our clauses and leaves quoted "order by" alone', () => {
    expect(splitOrderBy('project = OPS ORDER BY created DESC')).toEqual({ where: 'project = OPS', orderBy: 'ORDER BY created DESC' });
    expect(splitOrderBy('summary ~ "order by" AND project = X')).toEqual({ where: 'summary ~ "order by" AND project = X', orderBy: undefined });
    const jql = buildCandidateJql({
      scopeJql: 'project = A OR project = B order by rank',
      statusFieldId: 'customfield_1',
      triggerValues: ['Ready'],
      repoFieldId: 'customfield_2',
      repoValue: 'a/b',
      repoFieldKind: 'select',
    });
    expect(jql).toBe('(project = A OR project = B) AND cf[1] in ("Ready") AND cf[2] = "a/b" AND statusCategory != Done order by rank');
  });
});

describe('Jira ADF', () => {
  it('builds headings, ordered lists, code blocks and hard breaks', () => {
    const doc = markdownToAdf('## Result\nline one\nline two\n\n1. first\n2. second\n\n```ts\nconst a = 1;\n```');
    expect(doc.content?.map((n) => n.type)).toEqual(['heading', 'paragraph', 'orderedList', 'codeBlock']);
    expect(doc.content?.[1]?.content?.map((n) => n.type)).toEqual(['text', 'hardBreak', 'text']);
    expect(doc.content?.[3]).toEqual({ type: 'codeBlock', attrs: { language: 'ts' }, content: [{ type: 'text', text: 'const a = 1;' }] });
  });

  it('round-trips the Markdown dialect through ADF and back', () => {
    const markdown = 'Intro with `code` and https://x.test/a\n\n- one\n- [two](https://x.test/2)\n\n```\nnpm test\n```';
    expect(adfToText(markdownToAdf(markdown))).toBe(markdown);
  });

  it('never emits empty text nodes', () => {
    expect(JSON.stringify(markdownToAdf('`a``b`\n\n**x**'))).not.toContain('"text":""');
  });
});

describe('Jira transitions', () => {
  const transitions = [
    { id: '1', name: 'Start', to: { name: 'Doing', statusCategory: { key: 'indeterminate' } } },
    { id: '2', name: 'Review', to: { name: 'Peer Review', statusCategory: { key: 'indeterminate' } } },
    { id: '3', name: 'Drop', to: { name: 'Cancelled', statusCategory: { key: 'done' } } },
    { id: '4', name: 'Close', to: { name: 'Closed', statusCategory: { key: 'done' } } },
  ];

  it('falls back to categories and transition names', () => {
    expect(pickTransition(transitions, 'in-progress')?.id).toBe('1');
    expect(pickTransition(transitions, 'ready-for-review')?.id).toBe('2');
    expect(pickTransition(transitions, 'done')?.id).toBe('4');
    expect(pickTransition(transitions, 'done', 'cancelled')?.id).toBe('3');
    expect(pickTransition(transitions, 'done', 'Shipped')).toBeUndefined();
  });

  it('knows when the issue is already there', () => {
    expect(isAtTarget({ name: 'Closed', statusCategory: { key: 'done' } }, 'done')).toBe(true);
    expect(isAtTarget({ name: 'Cancelled', statusCategory: { key: 'done' } }, 'done')).toBe(false);
    expect(isAtTarget({ name: 'Closed', statusCategory: { key: 'done' } }, 'done', 'Released')).toBe(false);
    expect(isAtTarget({ name: 'In Review' }, 'ready-for-review')).toBe(true);
  });
});

describe('Jira blockers from issue links', () => {
  it('counts open inward "Blocks" links only', () => {
    const link = (key: string, category: string, type = 'Blocks') => ({
      type: { name: type, inward: 'is blocked by' },
      inwardIssue: { id: key, key, fields: { status: { name: 'S', statusCategory: { key: category } } } },
    });
    const item = toWorkItem(
      {
        id: '1',
        key: 'OPS-1',
        fields: {
          summary: 'x',
          status: { name: 'To Do', statusCategory: { key: 'new' } },
          created: '2024-05-01T10:00:00.000+0200',
          issuelinks: [link('OPS-2', 'indeterminate'), link('OPS-3', 'done'), link('OPS-4', 'new', 'Relates'), { type: { name: 'Blocks' }, outwardIssue: {} }],
        },
      } as never,
      { host: 'https://x.test/', fieldIds: { status: 'cf1', repo: 'cf2' }, statusValues: DEFAULT_JIRA_STATUS_VALUES },
    );
    expect(item.blockedBy).toEqual([{ id: 'OPS-2', identifier: 'OPS-2', lifecycle: 'started' }]);
    expect(item.createdAt).toBe('2024-05-01T08:00:00.000Z');
    expect(item.url).toBe('https://x.test/browse/OPS-1');
  });
});

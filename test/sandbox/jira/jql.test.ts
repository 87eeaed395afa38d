import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JiraEmulator, JqlSyntaxError, parseJql } from '../../../src/sandbox/jira/index.js';
import { JqlEvaluator } from '../../../src/sandbox/jira/jql-evaluator.js';

const NOW = new Date('2025-06-10T12:00:00.000Z');

function seeded(): { emulator: JiraEmulator; search: (jql: string) => string[]; errors: (jql: string) => string[] } {
  const emulator = new JiraEmulator({ now: () => NOW, repoFieldType: 'select', repoOptions: ['acme/app', 'acme/api'] });
  const s = emulator.store;
  const dev = s.addUser({ displayName: 'Dana Dev', emailAddress: 'dana@example.test' });
  s.addProject('OPS');
  s.addProject('WEB', 'Website');
  s.addIssue({ project: 'OPS', summary: 'Fix login timeout', labels: ['AI-Implement'], custom: { 'AI-Implement Status': 'Ready', 'AI-Implement Repo': 'acme/app' }, updated: '2025-06-01T00:00:00.000Z' });
  s.addIssue({ project: 'OPS', summary: 'Rotate keys', status: 'In Progress', assignee: dev.accountId, updated: '2025-06-09T00:00:00.000Z' });
  s.addIssue({ project: 'OPS', summary: 'Archive logs', status: 'Done', labels: ['chore'], custom: { 'AI-Implement Status': 'Failed' }, updated: '2025-06-10T11:00:00.000Z' });
  s.addIssue({ project: 'WEB', summary: 'Login page copy', labels: ['AI-Implement', 'copy'], assignee: emulator.site.users[0]?.accountId, custom: { 'AI-Implement Repo': 'acme/api' } });
  const evaluator = new JqlEvaluator(s);
  const ctx = { currentUser: emulator.site.users[0]?.accountId as string, now: NOW };
  return {
    emulator,
    search: (jql) => {
      const query = parseJql(jql);
      const problems = evaluator.validate(query, ctx);
      if (problems.length > 0) throw new Error(problems.join('; '));
      return evaluator.sort(s.site.issues.filter((i) => evaluator.matches(i, query.where, ctx)), query).map((i) => i.key);
    },
    errors: (jql) => evaluator.validate(parseJql(jql), ctx),
  };
}

describe('JQL', () => {
  const { emulator, search, errors } = seeded();

  it('evaluates equality, IN / NOT IN and boolean structure with parentheses', () => {
    expect(search('project = OPS')).toEqual(['OPS-1', 'OPS-2', 'OPS-3']);
    expect(search('project in (OPS, Website) AND labels = AI-Implement')).toEqual(['OPS-1', 'WEB-1']);
    expect(search('project = OPS AND (status = "In Progress" OR statusCategory = Done)')).toEqual(['OPS-2', 'OPS-3']);
    expect(search('project = OPS AND NOT status = Done')).toEqual(['OPS-1', 'OPS-2']);
    expect(search('statusCategory in ("To Do", indeterminate)')).toEqual(['OPS-1', 'OPS-2', 'WEB-1']);
    expect(search('key in (ops-2, WEB-1)')).toEqual(['OPS-2', 'WEB-1']);
  });

  it("keeps Jira's rule that != and NOT IN never match empty fields", () => {
    expect(search('"AI-Implement Status" != Failed')).toEqual(['OPS-1']);
    expect(search('"AI-Implement Status" != Failed OR "AI-Implement Status" is EMPTY')).toEqual(['OPS-1', 'OPS-2', 'WEB-1']);
    expect(search('labels not in (chore)')).toEqual(['OPS-1', 'WEB-1']);
    expect(search('labels is EMPTY')).toEqual(['OPS-2']);
    expect(search('assignee is not EMPTY')).toEqual(['OPS-2', 'WEB-1']);
  });

  it('matches custom fields by quoted name, cf[id] and customfield id', () => {
    expect(search('"AI-Implement Status" = "ready"')).toEqual(['OPS-1']);
    expect(search('cf[10042] in (Ready, Failed)')).toEqual(['OPS-1', 'OPS-3']);
    expect(search('customfield_10043 = "acme/api"')).toEqual(['WEB-1']);
  });

  it('supports ~ on text, users by email and currentUser(), and dates', () => {
    expect(search('summary ~ login')).toEqual(['OPS-1', 'WEB-1']);
    expect(search('summary !~ "login"')).toEqual(['OPS-2', 'OPS-3']);
    expect(search('assignee = "dana@example.test"')).toEqual(['OPS-2']);
    expect(search('assignee = currentUser()')).toEqual(['WEB-1']);
    expect(search('project = OPS AND updated >= "2025-06-05"')).toEqual(['OPS-2', 'OPS-3']);
    expect(search('project = OPS AND updated > -2h')).toEqual(['OPS-3']);
  });

  it('orders by fields and directions', () => {
    expect(search('project = OPS ORDER BY updated DESC')).toEqual(['OPS-3', 'OPS-2', 'OPS-1']);
    expect(search('labels = AI-Implement ORDER BY summary ASC')).toEqual(['OPS-1', 'WEB-1']);
    expect(search('project in (OPS, WEB) ORDER BY key DESC')).toEqual(['WEB-1', 'OPS-3', 'OPS-2', 'OPS-1']);
  });

  it('reports unknown fields, values, options, operators and functions', () => {
    expect(errors('foo = bar')).toEqual(["Field 'foo' does not exist or you do not have permission to view it."]);
    expect(errors('project = NOPE')).toEqual(["The value 'NOPE' does not exist for the field 'project'."]);
    expect(errors('"AI-Implement Status" = Bogus')).toEqual(["The option 'Bogus' for field 'AI-Implement Status' does not exist."]);
    expect(errors('summary = "x"')).toEqual(["The operator '=' is not supported by the 'summary' field."]);
    expect(errors('assignee = whoAmI()')).toEqual(["Unable to find JQL function 'whoAmI()'."]);
    expect(errors('updated > "2025-13-45"')[0]).toMatch(/^Date value '2025-13-45' for field 'updated' is invalid/);
  });

  it('rejects malformed queries with positioned syntax errors', () => {
    expect(() => parseJql('project = ')).toThrow(JqlSyntaxError);
    expect(() => parseJql('project OPS')).toThrow(/Expecting operator but got 'OPS'/);
    expect(() => parseJql('(project = OPS')).toThrow(/Expecting '\)'/);
    expect(() => parseJql('summary ~ "unterminated')).toThrow(/has not been completed/);
    expect(() => parseJql('project = OPS ORDER created')).toThrow(/Expecting 'by'/);
    expect(() => parseJql('project = OPS status = Done')).toThrow(/Expecting either 'OR' or 'AND' but got 'status'/);
  });

  it('builds a signed jira:issue_updated webhook', () => {
    const delivery = emulator.issueUpdatedWebhook('OPS-1', {
      secret: 's3cret',
      changelog: [{ field: 'AI-Implement Status', fieldtype: 'custom', fieldId: 'customfield_10042', from: null, fromString: null, to: '1', toString: 'Ready' }],
    });
    const expected = `sha256=${createHmac('sha256', 's3cret').update(delivery.body).digest('hex')}`;
    expect(delivery.headers['x-hub-signature']).toBe(expected);
    expect(emulator.signWebhook(delivery.body, 's3cret')).toBe(expected);
    expect(delivery.headers['x-atlassian-webhook-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    const payload = JSON.parse(delivery.body) as { webhookEvent: string; timestamp: number; issue: { key: string; fields: Record<string, unknown> }; changelog: { items: unknown[] } };
    expect(payload.webhookEvent).toBe('jira:issue_updated');
    expect(payload.timestamp).toBe(NOW.getTime());
    expect(payload.issue.key).toBe('OPS-1');
    expect(payload.issue.fields.customfield_10042).toMatchObject({ value: 'Ready' });
    expect(payload.changelog.items).toHaveLength(1);
  });
});

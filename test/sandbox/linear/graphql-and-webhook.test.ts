import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinearEmulator } from '../../../src/sandbox/linear/index.js';

describe('LinearEmulator HTTP edges and webhooks', () => {
  const emulator = new LinearEmulator({ apiKey: 'k', now: () => new Date('2025-05-01T10:00:00.000Z') });
  let base: string;

  beforeAll(async () => {
    base = await emulator.start();
    emulator.store.addTeam({ key: 'ENG' });
    emulator.store.addIssue({ team: 'ENG', title: 'Hook me', labels: ['AI-Implement'] });
    emulator.store.addIssue({ team: 'ENG', title: 'Started', state: 'In Progress' });
  });
  afterAll(() => emulator.stop());

  type GqlError = { message: string; locations?: { line: number; column: number }[]; path?: (string | number)[]; extensions: { code?: string; type?: string } };
  const post = async (body: unknown): Promise<{ status: number; json: { data?: unknown; errors?: GqlError[] } }> => {
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { authorization: 'k', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as never };
  };

  it('answers syntax errors and unknown root fields with 400 GraphQL errors', async () => {
    const syntax = await post({ query: 'query { issues(' });
    expect(syntax.status).toBe(400);
    expect(syntax.json.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = await post({ query: '{ cycles { nodes { id } } }' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors?.[0]?.message).toBe('Cannot query field "cycles" on type "Query".');
  });

  it('reads variables and their defaults, aliases, literal arguments, fragments and directives', async () => {
    const query = /* GraphQL */ `
      # a comment
      query Q($first: Int = 1, $withTitle: Boolean!) {
        list: issues(first: $first) { nodes { ...F } }
        started: issues(filter: { state: { type: { in: [started, "completed"] } } }, first: 5) {
          nodes { id @skip(if: true) identifier title @include(if: $withTitle) }
        }
      }
      fragment F on Issue { identifier ... on Issue { title @skip(if: false) } }
    `;
    const withDefault = await post({ query, variables: { withTitle: false } });
    expect(withDefault.status).toBe(200);
    expect(withDefault.json).toEqual({
      data: { list: { nodes: [{ identifier: 'ENG-1', title: 'Hook me' }] }, started: { nodes: [{ identifier: 'ENG-2' }] } },
    });
    const withVariables = await post({ query, variables: { first: 2, withTitle: true } });
    expect(withVariables.json.data).toEqual({
      list: { nodes: [{ identifier: 'ENG-1', title: 'Hook me' }, { identifier: 'ENG-2', title: 'Started' }] },
      started: { nodes: [{ identifier: 'ENG-2', title: 'Started' }] },
    });
  });

  it('decodes string escapes and block strings in literal arguments', async () => {
    const created = await post({
      query: 'mutation { commentCreate(input: { issueId: "ENG-2", body: "line\\n\\"q\\" \\u00e9" }) { comment { id body } } }',
    });
    const comment = (created.json.data as { commentCreate: { comment: { id: string; body: string } } }).commentCreate.comment;
    expect(comment.body).toBe('line\n"q" é');
    const updated = await post({
      query: `mutation { commentUpdate(id: "${comment.id}", input: { body: """\n    indented\n      more\n  """ }) { comment { body } } }`,
    });
    expect(updated.json.data).toEqual({ commentUpdate: { comment: { body: 'indented\n  more' } } });
    expect(emulator.commentsOn('ENG-2').map((c) => c.body)).toEqual(['indented\n  more']);
  });

  it('answers malformed documents with a 400 parse error in Linear\'s shape', async () => {
    const before = emulator.operations.length;
    const res = await post({ query: 'query { issues( }' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      errors: [
        {
          message: 'Syntax Error: Expected Name, found "}".',
          locations: [{ line: 1, column: 17 }],
          extensions: { type: 'graphql error', code: 'GRAPHQL_PARSE_FAILED', userPresentableMessage: 'Syntax Error: Expected Name, found "}".' },
        },
      ],
    });
    for (const query of ['{ }', '', 'query { viewer { id }', 'query { a(s: "unterminated) }']) {
      const bad = await post({ query });
      expect(bad.status, query).toBe(400);
      expect(bad.json.errors?.[0]?.message, query).toMatch(/^Syntax Error: /);
      expect(bad.json.errors?.[0]?.extensions.code, query).toBe('GRAPHQL_PARSE_FAILED');
    }
    expect(emulator.operations.length).toBe(before);
  });

  it('rejects documents that fail validation before running them', async () => {
    const before = emulator.operations.length;
    const cases: [string, RegExp][] = [
      ['fragment F on Issue { id }', /Fragment "F" is never used/],
      ['{ viewer { ...Missing } }', /Unknown fragment "Missing"/],
      ['query Q($unused: Int) { viewer { id } }', /Variable "\$unused" is never used/],
      ['query Q { issues(first: $n) { nodes { id } } }', /Variable "\$n" is not defined/],
      ['{ viewer { id } } { teams { nodes { id } } }', /anonymous operation must be the only defined operation/],
      ['type Issue { id: ID }', /definition is not executable/],
    ];
    for (const [query, message] of cases) {
      const res = await post({ query });
      expect(res.status, query).toBe(400);
      expect(res.json.errors?.[0]?.message, query).toMatch(message);
      expect(res.json.errors?.[0]?.extensions, query).toMatchObject({ type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(res.json.errors?.[0]?.locations?.length, query).toBeGreaterThan(0);
    }
    expect(emulator.operations.length).toBe(before);
  });

  it('reports a failing field with its path and location and nulls it', async () => {
    const res = await post({ query: '{\n  viewer { name }\n  missing: issue(id: "ENG-99") { id }\n}' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      data: { viewer: { name: 'AI-Implement' }, missing: null },
      errors: [
        {
          message: 'Entity not found: Issue',
          locations: [{ line: 3, column: 3 }],
          path: ['missing'],
          extensions: { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: 'Could not find referenced Issue.' },
        },
      ],
    });
  });

  it('selects the operation by operationName', async () => {
    const res = await post({ query: 'query A { viewer { name } } query B { teams { nodes { key } } }', operationName: 'B' });
    expect(res.json.data).toEqual({ teams: { nodes: [{ key: 'ENG' }] } });
  });

  it('builds an Issue update webhook signed with Linear-Signature', () => {
    const delivery = emulator.issueWebhook('ENG-1', { secret: 'whsec', updatedFrom: { stateId: 'old' } });
    const expected = createHmac('sha256', 'whsec').update(delivery.body).digest('hex');
    expect(delivery.headers['linear-signature']).toBe(expected);
    expect(emulator.signWebhook(delivery.body, 'whsec')).toBe(expected);
    expect(delivery.headers['linear-event']).toBe('Issue');
    expect(delivery.headers['linear-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const payload = JSON.parse(delivery.body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      action: 'update',
      type: 'Issue',
      webhookTimestamp: Date.parse('2025-05-01T10:00:00.000Z'),
      updatedFrom: { stateId: 'old' },
      data: { identifier: 'ENG-1', labels: [{ name: 'AI-Implement' }], state: { name: 'Todo', type: 'unstarted' }, team: { key: 'ENG' } },
    });
  });
});

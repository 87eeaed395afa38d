import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphqlSyntaxError, LinearEmulator, parseGraphql } from '../../../src/sandbox/linear/index.js';

describe('parseGraphql', () => {
  it('reads variables, defaults, aliases, arguments, fragments and directives', () => {
    const doc = parseGraphql(`
      # comment
      query q($first: Int = 10, $f: IssueFilter!) {
        list: issues(first: $first, filter: { state: { type: { in: [started, "x"] } } }, n: -1.5e2, ok: true, none: null) {
          nodes { ...F @include(if: true) }
        }
      }
      fragment F on Issue { id title @skip(if: false) }
    `);
    const op = doc.operations[0];
    expect(op?.operation).toBe('query');
    expect(op?.name).toBe('q');
    expect(op?.variableDefaults.first).toEqual({ kind: 'int', value: 10 });
    const field = op?.selections[0];
    expect(field).toMatchObject({ kind: 'field', name: 'issues', alias: 'list' });
    expect(field?.kind === 'field' && field.args.n).toEqual({ kind: 'float', value: -150 });
    expect(field?.kind === 'field' && field.args.filter).toEqual({
      kind: 'object',
      fields: { state: { kind: 'object', fields: { type: { kind: 'object', fields: { in: { kind: 'list', values: [{ kind: 'enum', value: 'started' }, { kind: 'string', value: 'x' }] } } } } } },
    });
    expect(doc.fragments.get('F')?.typeCondition).toBe('Issue');
  });

  it('decodes string escapes and block strings', () => {
    const doc = parseGraphql('{ a(s: "line\\n\\"q\\" \\u00e9", b: """\n    indented\n      more\n  """) }');
    const field = doc.operations[0]?.selections[0];
    expect(field?.kind === 'field' && field.args.s).toEqual({ kind: 'string', value: 'line\n"q" é' });
    expect(field?.kind === 'field' && field.args.b).toEqual({ kind: 'string', value: 'indented\n  more' });
  });

  it('rejects malformed documents', () => {
    expect(() => parseGraphql('query { issues( }')).toThrow(GraphqlSyntaxError);
    expect(() => parseGraphql('{ }')).toThrow(GraphqlSyntaxError);
    expect(() => parseGraphql('fragment F on Issue { id }')).toThrow(/no operation/);
  });
});

describe('LinearEmulator HTTP edges and webhooks', () => {
  const emulator = new LinearEmulator({ apiKey: 'k', now: () => new Date('2025-05-01T10:00:00.000Z') });
  let base: string;

  beforeAll(async () => {
    base = await emulator.start();
    emulator.store.addTeam({ key: 'ENG' });
    emulator.store.addIssue({ team: 'ENG', title: 'Hook me', labels: ['AI-Implement'] });
  });
  afterAll(() => emulator.stop());

  const post = async (body: unknown): Promise<{ status: number; json: { data?: unknown; errors?: { message: string; extensions: { code?: string } }[] } }> => {
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

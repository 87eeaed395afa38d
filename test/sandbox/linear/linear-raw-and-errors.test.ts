import { AuthenticationLinearError, InvalidInputLinearError, LinearClient, RatelimitedLinearError } from '@linear/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LinearEmulator } from '../../../src/sandbox/linear/index.js';

// The kind of single paged query the tracker adapter sends through
// `client.client.rawRequest`, with nested labels, state and both relation
// directions, plus the error paths seen through the SDK.
const CANDIDATES = /* GraphQL */ `
  query Candidates($filter: IssueFilter, $first: Int, $after: String) {
    issues(filter: $filter, first: $first, after: $after) {
      nodes {
        id
        identifier
        title
        updatedAt
        team { id key }
        state { id name type }
        assignee { id }
        project { id name }
        labels { nodes { id name } }
        relations { nodes { type relatedIssue { id identifier state { type } } } }
        blockedBy: inverseRelations { nodes { type issue { id identifier state { type } } } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface CandidatePage {
  issues: {
    nodes: {
      identifier: string;
      team: { key: string };
      state: { name: string; type: string };
      assignee: { id: string } | null;
      project: { name: string } | null;
      labels: { nodes: { name: string }[] };
      relations: { nodes: { type: string; relatedIssue: { identifier: string; state: { type: string } } }[] };
      blockedBy: { nodes: { type: string; issue: { identifier: string; state: { type: string } } }[] };
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe('LinearEmulator raw queries and errors', () => {
  const emulator = new LinearEmulator({ apiKey: 'lin_api_raw' });
  let client: LinearClient;
  let base: string;

  beforeAll(async () => {
    base = await emulator.start();
    const s = emulator.store;
    s.addTeam({ key: 'ENG' });
    const dev = s.addUser({ name: 'Dev One' });
    s.addIssue({ team: 'ENG', title: 'Blocker', labels: ['AI-Implement'], state: 'In Progress', updatedAt: '2024-01-01T00:00:00.000Z' });
    s.addIssue({ team: 'ENG', title: 'Blocked', labels: ['AI-Implement', 'backend'], project: 'Q3', assignee: dev.id, updatedAt: '2024-03-01T00:00:00.000Z' });
    s.addIssue({ team: 'ENG', title: 'Free', labels: ['AI-Implement'], updatedAt: '2024-03-02T00:00:00.000Z' });
    s.addIssue({ team: 'ENG', title: 'Unlabelled', updatedAt: '2024-03-03T00:00:00.000Z' });
    s.addBlocksRelation('ENG-1', 'ENG-2');
    client = new LinearClient({ apiKey: 'lin_api_raw', apiUrl: `${base}/graphql` });
  });

  afterEach(() => emulator.server.clearFaults());
  afterAll(() => emulator.stop());

  it('resolves a raw paged query with nested labels, state and relations', async () => {
    const filter = { labels: { name: { eq: 'AI-Implement' } }, state: { type: { in: ['unstarted', 'started'] } } };
    const seen: CandidatePage['issues']['nodes'] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await client.client.rawRequest<CandidatePage, Record<string, unknown>>(CANDIDATES, { filter, first: 2, after });
      const data = res.data as CandidatePage;
      seen.push(...data.issues.nodes);
      after = data.issues.pageInfo.hasNextPage ? data.issues.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(2);
    expect(seen.map((i) => i.identifier)).toEqual(['ENG-1', 'ENG-2', 'ENG-3']);

    const blocked = seen.find((i) => i.identifier === 'ENG-2');
    expect(blocked?.labels.nodes.map((l) => l.name)).toEqual(['AI-Implement', 'backend']);
    expect(blocked?.state).toMatchObject({ name: 'Todo', type: 'unstarted' });
    expect(blocked?.project?.name).toBe('Q3');
    expect(blocked?.assignee?.id).toBe(emulator.workspace.users[1]?.id);
    expect(blocked?.blockedBy.nodes).toEqual([{ type: 'blocks', issue: expect.objectContaining({ identifier: 'ENG-1', state: { type: 'started' } }) }]);
    const blocker = seen.find((i) => i.identifier === 'ENG-1');
    expect(blocker?.relations.nodes[0]).toMatchObject({ type: 'blocks', relatedIssue: { identifier: 'ENG-2' } });
    // One recorded operation per page, each a single `issues` root.
    expect(emulator.operations.filter((o) => o.rootFields.join() === 'issues').length).toBeGreaterThanOrEqual(2);
  });

  it('filters on updatedAt, project, assignee, id and and/or combinations', async () => {
    const run = async (filter: unknown): Promise<string[]> => {
      const res = await client.client.rawRequest<CandidatePage, Record<string, unknown>>(CANDIDATES, { filter, first: 50 });
      return (res.data as CandidatePage).issues.nodes.map((i) => i.identifier);
    };
    expect(await run({ updatedAt: { gt: '2024-03-01T12:00:00.000Z' } })).toEqual(['ENG-3', 'ENG-4']);
    expect(await run({ project: { name: { eq: 'Q3' } } })).toEqual(['ENG-2']);
    expect(await run({ assignee: { id: { eq: emulator.workspace.users[1]?.id } } })).toEqual(['ENG-2']);
    expect(await run({ assignee: { null: true }, labels: { some: { name: { eq: 'AI-Implement' } } } })).toEqual(['ENG-1', 'ENG-3']);
    expect(await run({ id: { in: [emulator.issue('ENG-4').id, emulator.issue('ENG-1').id] } })).toEqual(['ENG-1', 'ENG-4']);
    expect(await run({ and: [{ team: { key: { in: ['ENG'] } } }, { or: [{ title: { eq: 'Free' } }, { title: { eq: 'Unlabelled' } }] }] })).toEqual([
      'ENG-3',
      'ENG-4',
    ]);
  });

  it('answers aliases, __typename and inline fragments', async () => {
    const res = await client.client.rawRequest<Record<string, unknown>, Record<string, unknown>>(
      `query { first: issue(id: "ENG-3") { __typename ... on Issue { identifier } } second: issue(id: "eng-4") { title } }`,
      {},
    );
    expect(res.data).toEqual({ first: { __typename: 'Issue', identifier: 'ENG-3' }, second: { title: 'Unlabelled' } });
  });

  it('rejects a wrong API key with the SDK authentication error', async () => {
    const wrong = new LinearClient({ apiKey: 'lin_api_wrong', apiUrl: `${base}/graphql` });
    const error = await wrong.teams().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationLinearError);
  });

  it('reports unknown fields in a filter as invalid input', async () => {
    const error = await client.issues({ filter: { nonsense: { eq: 1 } } as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputLinearError);
  });

  it('surfaces an injected 429 as RatelimitedLinearError', async () => {
    emulator.server.injectFault({ kind: 'rate-limit', path: '/graphql', retryAfterSeconds: 7, times: 1 });
    const error = await client.teams().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RatelimitedLinearError);
    expect((error as RatelimitedLinearError).status).toBe(429);
    // The fault was single-use: the next call succeeds.
    expect((await client.teams()).nodes).toHaveLength(1);
  });

  it('surfaces an injected 502 as a network error without touching state', async () => {
    emulator.server.injectFault({ kind: 'error', status: 502, method: 'POST', times: 1 });
    const before = emulator.commentsOn('ENG-1').length;
    const error = await client.createComment({ issueId: emulator.issue('ENG-1').id, body: 'x' }).catch((e: unknown) => e);
    expect((error as { type?: string }).type).toBe('NetworkError');
    expect(emulator.commentsOn('ENG-1')).toHaveLength(before);
  });

  it("exhausts the hourly budget into Linear's RATELIMITED error with rate-limit headers", async () => {
    const res = await client.client.rawRequest(`query { viewer { id } }`, {});
    expect(Number(res.headers?.get('x-ratelimit-requests-remaining'))).toBeGreaterThan(0);
    emulator.exhaustRateLimit();
    const error = await client.viewer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RatelimitedLinearError);
    expect((error as RatelimitedLinearError).requestsRemaining).toBe(0);
    expect((error as RatelimitedLinearError).requestsLimit).toBe(5000);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, ExternalServiceError, NotFoundError, ValidationError } from '../../../src/errors/index.js';
import { AI_STATUS_OPTIONS, adfText, JiraEmulator, type AdfNode } from '../../../src/sandbox/jira/index.js';
import type { TrackerScope } from '../../../src/trackers/issue-tracker.js';
import { createJiraTracker, DEFAULT_JIRA_STATUS_VALUES, JIRA_COMMENT_PROPERTY } from '../../../src/trackers/jira/index.js';
import { runTrackerContract, type TrackerContractFixture } from '../tracker-contract.js';
import { auditJira, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

// jira.js talks through axios, which honours proxy variables: keep loopback direct.
process.env.NO_PROXY = [process.env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
process.env.no_proxy = process.env.NO_PROXY;

const STATUS = 'AI-Implement Status';
const REPO = 'AI-Implement Repo';

function seedWorkflowExtras(emulator: JiraEmulator): void {
  emulator.store.addStatus("Won't Do", 'done');
  emulator.store.addTransition("Won't Do", "Won't Do");
}

runTrackerContract(
  'jira',
  async (): Promise<TrackerContractFixture> => {
    const emulator = new JiraEmulator();
    const audit = auditJira(emulator.server);
    const host = await emulator.start();
    seedWorkflowExtras(emulator);
    const s = emulator.store;
    s.addProject('OPS', 'Operations');
    s.addProject('WEB', 'Website');
    const ready = (repo: string): Record<string, string> => ({ [STATUS]: 'Ready', [REPO]: repo });
    s.addIssue({ project: 'OPS', summary: 'Ready', custom: ready('acme/ops') }); // OPS-1
    s.addIssue({ project: 'OPS', summary: 'Plan approved, infra', labels: ['infra'], custom: { [STATUS]: 'Plan Approved', [REPO]: 'acme/ops' } }); // OPS-2
    s.addIssue({ project: 'OPS', summary: 'Other repo sharing words', custom: ready('acme/ops-tools') }); // OPS-3
    s.addIssue({ project: 'OPS', summary: 'Done', status: 'Done', custom: ready('acme/ops') }); // OPS-4
    s.addIssue({ project: 'OPS', summary: "Won't do", status: "Won't Do", custom: ready('acme/ops') }); // OPS-5
    s.addIssue({ project: 'OPS', summary: 'Already implementing', custom: { [STATUS]: 'Implementing', [REPO]: 'acme/ops' } }); // OPS-6
    s.addIssue({ project: 'OPS', summary: 'Not marked', custom: { [REPO]: 'acme/ops' } }); // OPS-7
    s.addIssue({ project: 'WEB', summary: 'Outside the OPS JQL', custom: ready('acme/ops') }); // WEB-1
    s.addIssue({ project: 'WEB', summary: 'Web', custom: ready('acme/web') }); // WEB-2
    s.addIssue({ project: 'WEB', summary: 'Quoted repo', custom: ready('acme/we"b') }); // WEB-3
    const scopes: TrackerScope[] = [
      { mappingKey: 'ops', kind: 'jira', jql: 'project = OPS', repoFieldValue: 'acme/ops' },
      { mappingKey: 'ops-infra', kind: 'jira', jql: 'project = OPS AND labels = infra', repoFieldValue: 'acme/ops' },
      { mappingKey: 'web', kind: 'jira', jql: 'project = WEB OR project = OPS ORDER BY created DESC', repoFieldValue: 'acme/web' },
      { mappingKey: 'odd', kind: 'jira', jql: 'project = "WEB"', repoFieldValue: 'acme/we"b' },
      { mappingKey: 'linear-one', kind: 'linear', teamKey: 'ENG' },
    ];
    let fresh = 0;
    return {
      tracker: createJiraTracker({ host, email: emulator.email, apiToken: emulator.apiToken }),
      scopes,
      eligible: [
        { identifier: 'OPS-1', mappingKeys: ['ops'] },
        { identifier: 'OPS-2', mappingKeys: ['ops', 'ops-infra'] },
        { identifier: 'WEB-2', mappingKeys: ['web'] },
        { identifier: 'WEB-3', mappingKeys: ['odd'] },
      ],
      ineligible: ['OPS-3', 'OPS-4', 'OPS-5', 'OPS-6', 'OPS-7', 'WEB-1'],
      freshTicket: () => {
        fresh += 1;
        return s.addIssue({ project: 'OPS', summary: `Fresh ${fresh}`, custom: ready('acme/fresh') }).key;
      },
      markerCount: (key, marker) => (emulator.customValue(key, STATUS) === DEFAULT_JIRA_STATUS_VALUES[marker] ? 1 : 0),
      stateName: (key) => emulator.statusOf(key),
      expectedStates: { 'in-progress': 'In Progress', 'ready-for-review': 'In Review', done: 'Done' },
      commentTexts: (key) => emulator.commentBodies(key).map((body) => adfText(body)),
      stop: async () => {
        await emulator.stop();
        expectTrueToVendor(audit, 'Jira');
      },
    };
  },
  { blockers: false },
);

describe('Jira tracker specifics', () => {
  const emulator = new JiraEmulator();
  const audit = auditJira(emulator.server);
  let host: string;
  const tracker = (): ReturnType<typeof createJiraTracker> => createJiraTracker({ host, email: emulator.email, apiToken: emulator.apiToken });

  beforeAll(async () => {
    host = await emulator.start();
    seedWorkflowExtras(emulator);
    emulator.store.addProject('OPS', 'Operations');
    emulator.store.addCustomField({ name: 'Robot Status', type: 'select', options: AI_STATUS_OPTIONS, numericId: 10600 });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Jira');
  });

  const seed = (extra: { description?: string | AdfNode } = {}): string =>
    emulator.store.addIssue({ project: 'OPS', summary: 'Seeded', custom: { [STATUS]: 'Ready', [REPO]: 'acme/ops' }, ...extra }).key;

  it('sends an enhanced search with cf[] clauses and only the fields it needs', async () => {
    const key = seed();
    emulator.server.clearRequests();
    const candidates = await tracker().listCandidates([{ mappingKey: 'ops', kind: 'jira', jql: 'project = OPS', repoFieldValue: 'acme/ops' }]);
    expect(candidates.map((c) => c.item.identifier)).toContain(key);
    const searches = emulator.server.requestsTo('POST', '/rest/api/3/search/jql');
    expect(searches).toHaveLength(1);
    const body = searches[0]?.body as { jql: string; fields: string[] };
    expect(body.jql).toBe('(project = OPS) AND cf[10042] in ("Ready", "Plan Approved") AND cf[10043] ~ "acme/ops" AND statusCategory != Done');
    expect(body.fields).toEqual(expect.arrayContaining(['summary', 'status', 'customfield_10042', 'customfield_10043']));
    expect(body.fields).not.toContain('*all');
    // The field list is fetched once per adapter.
    expect(emulator.server.requestsTo('GET', '/rest/api/3/field')).toHaveLength(1);
    const item = candidates.find((c) => c.item.identifier === key)?.item;
    expect(item).toMatchObject({ tracker: 'jira', teamKey: 'OPS', projectName: 'Operations', aiStatus: 'Ready', repoFieldValue: 'acme/ops', markers: [] });
    expect(item?.url).toBe(`${host}/browse/${key}`);
  });

  it('pages through more than one search page by nextPageToken', async () => {
    emulator.store.addProject('BIG');
    for (let n = 0; n < 130; n += 1) emulator.store.addIssue({ project: 'BIG', summary: `Bulk ${n}`, custom: { [STATUS]: 'Ready', [REPO]: 'acme/big' } });
    emulator.server.clearRequests();
    const candidates = await tracker().listCandidates([{ mappingKey: 'big', kind: 'jira', jql: 'project = BIG', repoFieldValue: 'acme/big' }]);
    expect(candidates).toHaveLength(130);
    expect(emulator.server.requestsTo('POST', '/rest/api/3/search/jql')).toHaveLength(2);
  });

  it('overrides a discovered field id with fieldIds', async () => {
    const key = seed();
    const pinned = createJiraTracker({ host, email: emulator.email, apiToken: emulator.apiToken, fieldIds: { status: 'customfield_10600' } });
    const item = await pinned.getItem(key);
    if (!item) throw new Error('missing');
    await pinned.addMarker(item, 'working');
    expect(emulator.customValue(key, 'Robot Status')).toBe('Implementing');
    expect(emulator.customValue(key, STATUS)).toBe('Ready');
    expect((await pinned.getItem(key))?.markers).toEqual(['working']);
  });

  it('names the missing custom fields in a ConfigError', async () => {
    const bare = new JiraEmulator({ empty: true });
    const bareHost = await bare.start();
    try {
      const error = await createJiraTracker({ host: bareHost, email: bare.email, apiToken: bare.apiToken }).getItem('X-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(2);
    } finally {
      await bare.stop();
    }
  });

  it('discovers fields by name on a site with other ids and a select repo field', async () => {
    const other = new JiraEmulator({ empty: true });
    const otherHost = await other.start();
    try {
      other.store.addStatus('To Do', 'new');
      other.store.addProject('APP');
      other.store.addCustomField({ name: 'AI-Implement Status', type: 'select', options: AI_STATUS_OPTIONS, numericId: 10501 });
      other.store.addCustomField({ name: 'AI-Implement Repo', type: 'select', options: ['acme/app', 'acme/app-two'], numericId: 10502 });
      other.store.addIssue({ project: 'APP', summary: 'One', custom: { [STATUS]: 'Ready', [REPO]: 'acme/app' } });
      other.store.addIssue({ project: 'APP', summary: 'Two', custom: { [STATUS]: 'Ready', [REPO]: 'acme/app-two' } });
      const adapter = createJiraTracker({ host: otherHost, email: other.email, apiToken: other.apiToken });
      const candidates = await adapter.listCandidates([{ mappingKey: 'app', kind: 'jira', jql: 'project = APP', repoFieldValue: 'acme/app' }]);
      expect(candidates.map((c) => c.item.identifier)).toEqual(['APP-1']);
      const jql = (other.server.requestsTo('POST', '/rest/api/3/search/jql')[0]?.body as { jql: string }).jql;
      expect(jql).toContain('cf[10501] in (');
      expect(jql).toContain('cf[10502] = "acme/app"');
    } finally {
      await other.stop();
    }
  });

  it('writes comments as ADF that keeps bullet lists, links and code', async () => {
    const key = seed();
    const item = await tracker().getItem(key);
    if (!item) throw new Error('missing');
    const body = 'Plan for **this** ticket:\n\n- add the endpoint\n- see [PR #12](https://github.com/acme/app/pull/12)\n\nRun `npm test` first.';
    await tracker().ensureComment(item, 'plan:1', body);
    const [doc] = emulator.commentBodies(key);
    // The key is a comment property; the visible text ends with the body's last paragraph.
    expect(emulator.commentWithProperty(key, JIRA_COMMENT_PROPERTY, { key: 'plan:1' })?.body).toBe(doc);
    expect(doc?.type).toBe('doc');
    const list = doc?.content?.find((n) => n.type === 'bulletList');
    expect(list?.content).toHaveLength(2);
    expect(JSON.stringify(list)).toContain('"href":"https://github.com/acme/app/pull/12"');
    expect(doc?.content?.[0]?.content).toContainEqual({ type: 'text', text: 'this', marks: [{ type: 'strong' }] });
    expect(JSON.stringify(doc)).toContain('{"type":"text","text":"npm test","marks":[{"type":"code"}]}');
    expect(adfText(doc?.content?.at(-1))).toMatch(/^Run .*first\.$/);
    expect(adfText(doc)).not.toContain('ai-implement');
  });

  it('converts an ADF description to text', async () => {
    const description: AdfNode = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Fix the ' }, { type: 'text', text: 'login', marks: [{ type: 'link', attrs: { href: 'https://x.test/login' } }] }] },
        { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'keep sessions' }] }] }] },
      ],
    };
    const item = await tracker().getItem(seed({ description }));
    expect(item?.description).toBe('Fix the [login](https://x.test/login)\n\n- keep sessions');
  });

  it('transitions to a named done state and refuses one it cannot reach', async () => {
    const key = seed();
    const item = await tracker().getItem(key);
    if (!item) throw new Error('missing');
    await tracker().transition(item, 'done', "Won't Do");
    expect(emulator.statusOf(key)).toBe("Won't Do");
    expect((await tracker().getItem(key))?.lifecycle).toBe('canceled');
    const error = await tracker().transition(item, 'done', 'Released').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
  });

  it('answers undefined for a missing issue and NotFoundError when writing to one', async () => {
    expect(await tracker().getItem('OPS-4040')).toBeUndefined();
    const ghost = { ...(await tracker().getItem(seed())), id: '999999', identifier: 'OPS-999999' } as Parameters<ReturnType<typeof createJiraTracker>['addMarker']>[0];
    const error = await tracker().addMarker(ghost, 'working').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('turns a 429 with Retry-After into a retryable ExternalServiceError', async () => {
    const adapter = tracker();
    expect(await adapter.listCandidates([])).toEqual([]); // no jira scope: no request at all
    expect(await adapter.getItem('OPS-1')).toBeDefined(); // field lookup done, so the fault hits the search
    emulator.server.injectFault({ kind: 'rate-limit', path: '/rest/api/3/search/jql', retryAfterSeconds: 9, times: 1 });
    const error = await adapter.listCandidates([{ mappingKey: 'ops', kind: 'jira', jql: 'project = OPS', repoFieldValue: 'acme/ops' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error).toMatchObject({ service: 'jira', retryable: true, retryAfterMs: 9000, status: 429 });
  });

  it('turns a 401 into AuthError and a 502 into a retryable error', async () => {
    const wrong = createJiraTracker({ host, email: emulator.email, apiToken: 'wrong' });
    expect(await wrong.getItem('OPS-1').catch((e: unknown) => e)).toBeInstanceOf(AuthError);
    emulator.server.injectFault({ kind: 'error', status: 502, path: '/rest/api/3/issue/', times: 1 });
    const error = await tracker().getItem('OPS-1').catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, status: 502 });
  });
});

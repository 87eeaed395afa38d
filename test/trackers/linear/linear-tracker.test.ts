import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ExternalServiceError, ValidationError } from '../../../src/errors/index.js';
import { LinearEmulator } from '../../../src/sandbox/linear/index.js';
import type { TrackerScope } from '../../../src/trackers/issue-tracker.js';
import { createLinearTracker } from '../../../src/trackers/linear/index.js';
import { DEFAULT_LINEAR_LABELS, markerLabel } from '../../../src/trackers/linear/linear-work-item.js';
import { runTrackerContract, type TrackerContractFixture } from '../tracker-contract.js';
import { auditLinear, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

const API_KEY = 'lin_api_tracker_test';

runTrackerContract(
  'linear',
  async (): Promise<TrackerContractFixture> => {
    const emulator = new LinearEmulator({ apiKey: API_KEY });
    const audit = auditLinear(emulator.server);
    await emulator.start();
    const s = emulator.store;
    s.addTeam({ key: 'ENG' });
    s.addTeam({ key: 'OPS' });
    s.addTeam({ key: 'WEB' });
    const agentId = emulator.workspace.viewerId;
    const someone = s.addUser({ name: 'Dev One' });
    const trigger = ['AI-Implement'];
    s.addIssue({ team: 'ENG', title: 'Labelled', labels: trigger }); // ENG-1
    s.addIssue({ team: 'ENG', title: 'Labelled api', labels: [...trigger, 'api'] }); // ENG-2
    s.addIssue({ team: 'ENG', title: 'Assigned to the agent', assignee: agentId }); // ENG-3
    s.addIssue({ team: 'ENG', title: 'Done already', labels: trigger, state: 'Done' }); // ENG-4
    s.addIssue({ team: 'ENG', title: 'Canceled', labels: trigger, state: 'Canceled' }); // ENG-5
    s.addIssue({ team: 'ENG', title: 'Plain' }); // ENG-6
    s.addIssue({ team: 'ENG', title: 'Assigned to a person', assignee: someone.id }); // ENG-7
    s.addIssue({ team: 'ENG', title: 'Blocked', labels: trigger }); // ENG-8
    s.addIssue({ team: 'ENG', title: 'Open blocker', state: 'In Progress' }); // ENG-9
    s.addIssue({ team: 'ENG', title: 'Was blocked', labels: trigger }); // ENG-10
    s.addIssue({ team: 'ENG', title: 'Finished blocker', state: 'Done' }); // ENG-11
    s.addBlocksRelation('ENG-9', 'ENG-8');
    s.addBlocksRelation('ENG-11', 'ENG-10');
    // ENG-8 also blocks ENG-1 in the other direction: that must not count for ENG-8.
    s.addBlocksRelation('ENG-8', 'ENG-1');
    s.addIssue({ team: 'OPS', title: 'Ops in Q3', labels: trigger, project: 'Q3' }); // OPS-1
    s.addIssue({ team: 'OPS', title: 'Ops without project', labels: trigger }); // OPS-2
    s.addIssue({ team: 'WEB', title: 'Unmapped team', labels: trigger }); // WEB-1
    let fresh = 0;
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl: emulator.apiUrl, agentUserId: agentId });
    const scopes: TrackerScope[] = [
      { mappingKey: 'eng', kind: 'linear', teamKey: 'ENG' },
      { mappingKey: 'eng-api', kind: 'linear', teamKey: 'ENG', labelFilter: 'api' },
      { mappingKey: 'ops-q3', kind: 'linear', teamKey: 'OPS', projectFilter: 'Q3' },
      { mappingKey: 'jira-one', kind: 'jira', jql: 'project = X', repoFieldValue: 'a/b' },
    ];
    return {
      tracker,
      scopes,
      eligible: [
        { identifier: 'ENG-1', mappingKeys: ['eng'] },
        { identifier: 'ENG-2', mappingKeys: ['eng', 'eng-api'] },
        { identifier: 'ENG-3', mappingKeys: ['eng'] },
        { identifier: 'ENG-8', mappingKeys: ['eng'] },
        { identifier: 'OPS-1', mappingKeys: ['ops-q3'] },
        { identifier: 'OPS-2', mappingKeys: [] },
        { identifier: 'WEB-1', mappingKeys: [] },
      ],
      ineligible: ['ENG-4', 'ENG-5', 'ENG-6', 'ENG-7', 'ENG-9', 'ENG-11'],
      freshTicket: () => {
        fresh += 1;
        return s.addIssue({ team: 'ENG', title: `Fresh ${fresh}`, labels: trigger }).identifier;
      },
      markerCount: (identifier, marker) => emulator.labelNames(identifier).filter((n) => n === markerLabel(DEFAULT_LINEAR_LABELS, marker)).length,
      stateName: (identifier) => emulator.stateOf(identifier).name,
      expectedStates: { 'in-progress': 'In Progress', 'ready-for-review': 'In Review', done: 'Done' },
      commentTexts: (identifier) => emulator.commentsOn(identifier).map((c) => c.body),
      blocked: { identifier: 'ENG-8', blocker: 'ENG-9', unblocked: 'ENG-10' },
      stop: async () => {
        await emulator.stop();
        expectTrueToVendor(audit, 'Linear');
      },
    };
  },
  { blockers: true, createTicket: true },
);

describe('Linear tracker specifics', () => {
  const emulator = new LinearEmulator({ apiKey: API_KEY });
  const audit = auditLinear(emulator.server);
  let apiUrl: string;
  let agentId: string;

  beforeAll(async () => {
    await emulator.start();
    apiUrl = emulator.apiUrl;
    const s = emulator.store;
    agentId = emulator.workspace.viewerId;
    s.addTeam({ key: 'ENG' });
    s.addTeam({
      key: 'OPS',
      states: [
        { name: 'Todo', type: 'unstarted' },
        { name: 'Doing', type: 'started' },
        { name: 'Checking', type: 'started' },
        { name: 'Shipped', type: 'completed' },
        { name: 'Dropped', type: 'canceled' },
      ],
    });
    s.addTeam({ key: 'DOC' });
    s.addIssue({ team: 'ENG', title: 'Assigned only', assignee: agentId }); // ENG-1
    s.addIssue({ team: 'DOC', title: 'Unmapped', labels: ['AI-Implement'] }); // DOC-1
    s.addIssue({ team: 'OPS', title: 'Custom workflow', labels: ['AI-Implement'] }); // OPS-1
    s.addLabel({ name: 'needs-human' }); // a workspace label the adapter must reuse
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Linear');
  });

  it('returns tickets of unmapped teams with no mapping keys', async () => {
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl });
    const candidates = await tracker.listCandidates([{ mappingKey: 'eng', kind: 'linear', teamKey: 'ENG' }]);
    expect(candidates.find((c) => c.item.identifier === 'DOC-1')?.mappingKeys).toEqual([]);
  });

  it('makes a ticket assigned to the agent user eligible only when the agent user is configured', async () => {
    const scopes: TrackerScope[] = [{ mappingKey: 'eng', kind: 'linear', teamKey: 'ENG' }];
    const withAgent = await createLinearTracker({ apiKey: API_KEY, apiUrl, agentUserId: agentId }).listCandidates(scopes);
    const assigned = withAgent.find((c) => c.item.identifier === 'ENG-1');
    expect(assigned?.mappingKeys).toEqual(['eng']);
    expect(assigned?.item.assigneeId).toBe(agentId);
    expect(assigned?.item.labels).toEqual([]);
    const withoutAgent = await createLinearTracker({ apiKey: API_KEY, apiUrl }).listCandidates(scopes);
    expect(withoutAgent.map((c) => c.item.identifier)).not.toContain('ENG-1');
  });

  it('creates a missing marker label once as a team label and reuses workspace labels', async () => {
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl });
    const ops = await tracker.getItem('OPS-1');
    if (!ops) throw new Error('OPS-1 missing');
    await tracker.addMarker(ops, 'failed');
    // A second adapter (empty cache) finds the label instead of creating another.
    await createLinearTracker({ apiKey: API_KEY, apiUrl }).addMarker(ops, 'failed');
    const failedLabels = emulator.workspace.labels.filter((l) => l.name === DEFAULT_LINEAR_LABELS.failed);
    expect(failedLabels).toHaveLength(1);
    expect(failedLabels[0]?.teamId).toBe(emulator.store.requireTeam('OPS').id);

    await tracker.addMarker(ops, 'needs-human');
    expect(emulator.workspace.labels.filter((l) => l.name === 'needs-human')).toHaveLength(1);
    expect(emulator.labelNames('OPS-1')).toEqual([
      'AI-Implement',
      DEFAULT_LINEAR_LABELS.failed,
      'needs-human',
    ]);
    expect((await tracker.getItem('OPS-1'))?.markers).toEqual(['failed', 'needs-human']);
  });

  it('honours custom label names', async () => {
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl, labels: { trigger: 'robot', working: 'robot-busy' } });
    const issue = emulator.store.addIssue({ team: 'ENG', title: 'Robot', labels: ['robot'] });
    const candidates = await tracker.listCandidates([]);
    expect(candidates.map((c) => c.item.identifier)).toContain(issue.identifier);
    const item = candidates.find((c) => c.item.identifier === issue.identifier)?.item;
    if (!item) throw new Error('missing');
    await tracker.addMarker(item, 'working');
    expect(emulator.labelNames(issue.identifier)).toEqual(['robot', 'robot-busy']);
  });

  it('falls back to state types in a custom workflow and honours an explicit done state', async () => {
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl });
    const ops = emulator.store.addIssue({ team: 'OPS', title: 'Workflow', labels: ['AI-Implement'] });
    const item = await tracker.getItem(ops.identifier);
    if (!item) throw new Error('missing');
    await tracker.transition(item, 'in-progress');
    expect(emulator.stateOf(ops.identifier).name).toBe('Doing');
    await tracker.transition(item, 'ready-for-review');
    expect(emulator.stateOf(ops.identifier).name).toBe('Checking');
    await tracker.transition(item, 'done', 'Dropped');
    expect(emulator.stateOf(ops.identifier).name).toBe('Dropped');
    expect((await tracker.getItem(ops.identifier))?.lifecycle).toBe('canceled');

    const error = await tracker.transition(item, 'done', 'Released').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(emulator.stateOf(ops.identifier).name).toBe('Dropped');
  });

  it('turns a wrong API key into AuthError', async () => {
    const error = await createLinearTracker({ apiKey: 'lin_api_wrong', apiUrl }).listCandidates([]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
  });

  it('turns an injected 429 into a retryable ExternalServiceError with Retry-After', async () => {
    emulator.server.injectFault({ kind: 'rate-limit', path: '/graphql', retryAfterSeconds: 7, times: 1 });
    const error = await createLinearTracker({ apiKey: API_KEY, apiUrl }).listCandidates([]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error).toMatchObject({ service: 'linear', retryable: true, retryAfterMs: 7000, status: 429 });
  });

  it('turns a 502 into a retryable ExternalServiceError', async () => {
    emulator.server.injectFault({ kind: 'error', status: 502, path: '/graphql', times: 1 });
    const error = await createLinearTracker({ apiKey: API_KEY, apiUrl }).getItem('ENG-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as ExternalServiceError).retryable).toBe(true);
  });
});

describe('Linear tracker request budget and rate limit', () => {
  const start = Date.parse('2024-06-01T12:00:00.000Z');
  let clock = start;
  const emulator = new LinearEmulator({ apiKey: API_KEY, now: () => new Date(clock) });
  const audit = auditLinear(emulator.server);

  beforeAll(async () => {
    await emulator.start();
    const s = emulator.store;
    s.addTeam({ key: 'ENG' });
    s.addTeam({ key: 'OPS' });
    for (let n = 0; n < 250; n += 1) {
      s.addIssue({ team: n % 2 === 0 ? 'ENG' : 'OPS', title: `Bulk ${n}`, labels: n % 5 === 0 ? ['AI-Implement', 'api'] : ['AI-Implement'] });
    }
    s.addIssue({ team: 'ENG', title: 'Not eligible' });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Linear');
  });

  it('sends one paged query for every scope together: ceil(250 / 100) requests', async () => {
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl: emulator.apiUrl });
    const scopes: TrackerScope[] = [
      { mappingKey: 'eng', kind: 'linear', teamKey: 'ENG' },
      { mappingKey: 'eng-api', kind: 'linear', teamKey: 'ENG', labelFilter: 'api' },
      { mappingKey: 'ops', kind: 'linear', teamKey: 'OPS' },
    ];
    emulator.server.clearRequests();
    const before = emulator.operations.length;
    const candidates = await tracker.listCandidates(scopes);
    expect(emulator.server.requests).toHaveLength(3);
    expect(emulator.operations.slice(before).map((o) => o.rootFields.join())).toEqual(['issues', 'issues', 'issues']);
    expect(candidates).toHaveLength(250);
    expect(candidates.filter((c) => c.mappingKeys.includes('ops'))).toHaveLength(125);
    expect(candidates.filter((c) => c.mappingKeys.includes('eng-api'))).toHaveLength(25);
    expect(candidates.every((c) => c.mappingKeys.length > 0)).toBe(true);
  });

  it("turns Linear's RATELIMITED answer into a retryable error waiting until the window resets", async () => {
    emulator.exhaustRateLimit();
    clock = start + 60_000;
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl: emulator.apiUrl, now: () => clock });
    const error = await tracker.listCandidates([]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    // The window opened at `start` and lasts an hour; a minute of it has passed.
    expect(error).toMatchObject({ service: 'linear', retryable: true, retryAfterMs: 3_600_000 - 60_000 });
  });
});

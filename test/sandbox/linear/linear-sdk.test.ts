import { LinearClient } from '@linear/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinearEmulator } from '../../../src/sandbox/linear/index.js';

// The real @linear/sdk against the emulator: every call below goes over HTTP
// with the SDK's own printed documents and fragments.

describe('LinearEmulator with @linear/sdk', () => {
  const emulator = new LinearEmulator({ apiKey: 'lin_api_test' });
  let client: LinearClient;

  beforeAll(async () => {
    const base = await emulator.start();
    const s = emulator.store;
    s.addTeam({ key: 'ENG', name: 'Engineering' });
    s.addTeam({ key: 'OPS', name: 'Operations', states: [
      { name: 'Todo', type: 'unstarted' },
      { name: 'Ready for Review', type: 'started' },
      { name: 'Done', type: 'completed' },
    ] });
    s.addLabel({ name: 'AI-Implement' });
    s.addLabel({ name: 'bug', team: 'ENG' });
    // ENG-1..ENG-7: AI-Implement on odd numbers, ENG-7 already done.
    for (let n = 1; n <= 7; n += 1) {
      s.addIssue({
        team: 'ENG',
        title: `Task ${n}`,
        description: `Body of task ${n}`,
        labels: n % 2 === 1 ? ['AI-Implement'] : ['bug'],
        state: n === 7 ? 'Done' : 'Todo',
        priority: 2,
      });
    }
    s.addIssue({ team: 'OPS', title: 'Ops work', labels: ['AI-Implement'] });
    client = new LinearClient({ apiKey: 'lin_api_test', apiUrl: `${base}/graphql` });
  });

  afterAll(() => emulator.stop());

  it('lists teams', async () => {
    const teams = await client.teams();
    expect(teams.nodes.map((t) => [t.key, t.name])).toEqual([
      ['ENG', 'Engineering'],
      ['OPS', 'Operations'],
    ]);
  });

  it('filters issues by label and state type and pages across several pages', async () => {
    const filter = {
      team: { key: { eq: 'ENG' } },
      labels: { some: { name: { eq: 'AI-Implement' } } },
      state: { type: { nin: ['completed', 'canceled'] } },
    };
    const first = await client.issues({ filter, first: 2 });
    expect(first.nodes.map((i) => i.identifier)).toEqual(['ENG-1', 'ENG-3']);
    expect(first.pageInfo.hasNextPage).toBe(true);

    const second = await client.issues({ filter, first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((i) => i.identifier)).toEqual(['ENG-5']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('supports the short label filter form, `in`, and `or`', async () => {
    const byIn = await client.issues({ filter: { labels: { name: { in: ['bug'] } } } });
    expect(byIn.nodes.map((i) => i.identifier)).toEqual(['ENG-2', 'ENG-4', 'ENG-6']);
    const either = await client.issues({
      filter: { or: [{ team: { key: { eq: 'OPS' } } }, { state: { type: { eq: 'completed' } } }] },
    });
    expect(either.nodes.map((i) => i.identifier).sort()).toEqual(['ENG-7', 'OPS-1']);
  });

  it('fetches one issue with its labels, state and team', async () => {
    const issue = await client.issue('ENG-3');
    expect(issue.title).toBe('Task 3');
    expect(issue.description).toBe('Body of task 3');
    expect(issue.url).toBe('https://linear.app/sandbox/issue/eng-3');
    const labels = await issue.labels();
    expect(labels.nodes.map((l) => l.name)).toEqual(['AI-Implement']);
    const state = await issue.state;
    expect(state?.name).toBe('Todo');
    expect(state?.type).toBe('unstarted');
    expect((await issue.team)?.key).toBe('ENG');
  });

  it('lists workflow states of a team, including custom review states', async () => {
    const states = await client.workflowStates({ filter: { team: { key: { eq: 'OPS' } } } });
    expect(states.nodes.map((s) => `${s.name}:${s.type}`)).toEqual(['Todo:unstarted', 'Ready for Review:started', 'Done:completed']);
  });

  it('adds a label and moves state with issueUpdate', async () => {
    const issue = await client.issue('ENG-2');
    const aiLabel = emulator.workspace.labels.find((l) => l.name === 'AI-Implement');
    const inProgress = emulator.store.requireState(emulator.issue('ENG-2').teamId, 'In Progress');
    const before = emulator.issue('ENG-2').updatedAt;
    const payload = await client.updateIssue(issue.id, { addedLabelIds: [aiLabel!.id], stateId: inProgress.id });
    expect(payload.success).toBe(true);
    expect(emulator.labelNames('ENG-2')).toEqual(['bug', 'AI-Implement']);
    expect(emulator.stateOf('ENG-2').name).toBe('In Progress');
    expect(emulator.issue('ENG-2').updatedAt > before).toBe(true);

    await client.updateIssue(issue.id, { removedLabelIds: [aiLabel!.id] });
    expect(emulator.labelNames('ENG-2')).toEqual(['bug']);
  });

  it('rejects a state from another team', async () => {
    const opsTodo = emulator.store.requireState(emulator.store.requireTeam('OPS').id, 'Todo');
    const issue = emulator.issue('ENG-4');
    await expect(client.updateIssue(issue.id, { stateId: opsTodo.id })).rejects.toThrow(/another|belong/i);
    expect(emulator.stateOf('ENG-4').name).toBe('Todo');
  });

  it('creates and updates a comment', async () => {
    const issue = emulator.issue('ENG-1');
    const created = await client.createComment({ issueId: issue.id, body: '**Plan** ready\n\n- step 1' });
    expect(created.success).toBe(true);
    const comment = await created.comment;
    expect(comment?.body).toBe('**Plan** ready\n\n- step 1');
    expect(emulator.commentsOn('ENG-1').map((c) => c.body)).toEqual(['**Plan** ready\n\n- step 1']);

    await client.updateComment(comment!.id, { body: 'edited' });
    expect(emulator.commentsOn('ENG-1')[0]?.body).toBe('edited');
    const listed = await (await client.issue('ENG-1')).comments();
    expect(listed.nodes.map((c) => c.body)).toEqual(['edited']);
  });

  it('creates a team label and refuses a duplicate', async () => {
    const team = emulator.store.requireTeam('ENG');
    const created = await client.createIssueLabel({ name: 'ai-plan-approved', teamId: team.id, color: '#00ff00' });
    expect(created.success).toBe(true);
    expect((await created.issueLabel)?.name).toBe('ai-plan-approved');
    const stored = emulator.workspace.labels.find((l) => l.name === 'ai-plan-approved');
    expect(stored).toMatchObject({ teamId: team.id, color: '#00ff00' });
    await expect(client.createIssueLabel({ name: 'AI-Implement', teamId: team.id })).rejects.toThrow(/duplicate/i);
  });

  it('answers viewer as the app user and lists labels by team', async () => {
    const viewer = await client.viewer;
    expect(viewer.name).toBe('AI-Implement');
    expect(viewer.app).toBe(true);
    const labels = await client.issueLabels({ filter: { team: { key: { eq: 'ENG' } } } });
    expect(labels.nodes.map((l) => l.name)).toContain('bug');
    expect(labels.nodes.map((l) => l.name)).not.toContain('AI-Implement');
  });

  it('reports an unknown issue as an SDK error', async () => {
    await expect(client.issue('ENG-999')).rejects.toThrow(/not found|could not find/i);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkItem } from '../../../src/domain/work-item.js';
import { LinearEmulator } from '../../../src/sandbox/linear/index.js';
import { COMMENT_ID_NAMESPACE, linearCommentId, linearCommentIds, nameBasedUuid } from '../../../src/trackers/linear/linear-comment-id.js';
import { createLinearTracker } from '../../../src/trackers/linear/index.js';
import { auditLinear, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

const API_KEY = 'lin_api_comment_ids';
const UUID_V4_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Linear comment ids', () => {
  it('hashes as RFC 4122 §4.3 does (the UUIDv5 test vector)', () => {
    // uuid5(NAMESPACE_DNS, 'python.org'), as Python's uuid module and others compute it.
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org', 5)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org', 4)).toBe('886313e1-3b8a-4372-9b90-0c9aee199e5d');
  });

  it('derives the same v4-format id for the same ticket and key, and another for anything else', () => {
    const id = linearCommentId('issue-a', 'run-status:r1');
    expect(id).toMatch(UUID_V4_SHAPE);
    expect(linearCommentId('issue-a', 'run-status:r1')).toBe(id);
    expect(linearCommentId('issue-b', 'run-status:r1')).not.toBe(id);
    expect(linearCommentId('issue-a', 'run-status:r12')).not.toBe(id);
    const generations = linearCommentIds('issue-a', 'run-status:r1');
    expect(generations[0]).toBe(id);
    expect(new Set(generations).size).toBe(generations.length);
    for (const generation of generations) expect(generation).toMatch(UUID_V4_SHAPE);
    expect(COMMENT_ID_NAMESPACE).toBe('52f383c1-7f66-47b6-91c4-78823df60118');
  });
});

describe('Linear ensureComment with HTML comments dropped (the default emulator)', () => {
  const emulator = new LinearEmulator({ apiKey: API_KEY });
  const audit = auditLinear(emulator.server);
  const tracker = () => createLinearTracker({ apiKey: API_KEY, apiUrl: emulator.apiUrl });

  beforeAll(async () => {
    await emulator.start();
    emulator.store.addTeam({ key: 'ENG' });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Linear');
  });

  async function freshItem(): Promise<WorkItem> {
    const issue = emulator.store.addIssue({ team: 'ENG', title: 'Comments', labels: ['AI-Implement'] });
    const item = await tracker().getItem(issue.identifier);
    if (!item) throw new Error('missing');
    return item;
  }

  it('creates the comment under the derived id with a body free of markers, and finds it by that id', async () => {
    const item = await freshItem();
    const first = await tracker().ensureComment(item, 'run-status:r1', 'Run started.');
    expect(first).toEqual({ id: linearCommentId(item.id, 'run-status:r1'), created: true });
    expect(emulator.commentsOn(item.identifier).map((c) => c.body)).toEqual(['Run started.']);
    const again = await tracker().ensureComment(item, 'run-status:r1', 'Run finished.');
    expect(again).toEqual({ id: first.id, created: false });
    expect(emulator.commentsOn(item.identifier).map((c) => c.body)).toEqual(['Run finished.']);
  });

  it('sends one lookup and no write when nothing changed', async () => {
    const item = await freshItem();
    await tracker().ensureComment(item, 'plan:1', 'The plan.');
    const before = emulator.operations.length;
    await tracker().ensureComment(item, 'plan:1', 'The plan.');
    expect(emulator.operations.slice(before).map((o) => o.rootFields.join())).toEqual(['comments']);
  });

  it('lets concurrent writers in separate processes race for the id: one creates, the other finds it', async () => {
    const item = await freshItem();
    // Both writers' lookups come back empty before either create runs.
    emulator.holdOperations('commentCreate', 2);
    const before = emulator.operations.length;
    const results = await Promise.all([
      tracker().ensureComment(item, 'run-status:race', 'From writer A.'),
      tracker().ensureComment(item, 'run-status:race', 'From writer B.'),
    ]);
    const id = linearCommentId(item.id, 'run-status:race');
    expect(results.map((r) => r.id)).toEqual([id, id]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    // Two creates were sent and one was refused as a duplicate.
    expect(emulator.operations.slice(before).filter((o) => o.rootFields.includes('commentCreate'))).toHaveLength(2);
    const comments = emulator.commentsOn(item.identifier);
    expect(comments.map((c) => c.id)).toEqual([id]);
    // The loser wrote its body over the winner's, as a later update would.
    const loser = results[0]?.created ? 'From writer B.' : 'From writer A.';
    expect(comments[0]?.body).toBe(loser);
  });

  it('keeps one comment when one adapter is asked many times at once, the last body winning', async () => {
    const item = await freshItem();
    const shared = tracker();
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => shared.ensureComment(item, 'run-status:burst', `Update ${n}.`)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(emulator.commentsOn(item.identifier).map((c) => c.body)).toEqual(['Update 7.']);
  });

  it('finds its comment when Linear created it but the answer was lost', async () => {
    const item = await freshItem();
    // The id lookup, the marker lookup, then the create: its answer is cut off.
    emulator.server.injectFault({ kind: 'drop-after-apply', path: '/graphql', every: 3, times: 1 });
    try {
      const result = await tracker().ensureComment(item, 'run-status:lost', 'Posted once.');
      expect(result).toEqual({ id: linearCommentId(item.id, 'run-status:lost'), created: false });
    } finally {
      emulator.server.clearFaults();
    }
    expect(emulator.commentsOn(item.identifier).map((c) => c.body)).toEqual(['Posted once.']);
  });

  it('posts a new comment under the next id when someone deleted ours and Linear keeps its id', async () => {
    const item = await freshItem();
    const [first, second] = linearCommentIds(item.id, 'run-status:deleted');
    await tracker().ensureComment(item, 'run-status:deleted', 'Before.');
    emulator.store.deleteComment(first as string);
    const recreated = await tracker().ensureComment(item, 'run-status:deleted', 'After.');
    expect(recreated).toEqual({ id: second, created: true });
    const updated = await tracker().ensureComment(item, 'run-status:deleted', 'After, edited.');
    expect(updated).toEqual({ id: second, created: false });
    expect(emulator.commentsOn(item.identifier).map((c) => c.body)).toEqual(['After, edited.']);
  });
});

describe('Linear ensureComment and comments posted by older versions (hidden markers kept)', () => {
  // Such comments can only be found where the markers survived, so this workspace keeps them.
  const emulator = new LinearEmulator({ apiKey: API_KEY, keepHtmlComments: true });
  const audit = auditLinear(emulator.server);

  beforeAll(async () => {
    await emulator.start();
    emulator.store.addTeam({ key: 'OLD' });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Linear');
  });

  it('finds an older comment by its marker, edits it in place and keeps the marker', async () => {
    const issue = emulator.store.addIssue({ team: 'OLD', title: 'Old run', labels: ['AI-Implement'] });
    emulator.store.addComment(issue.id, 'Run r1 started.\n\n<!-- ai-implement:run-status:r1 -->');
    emulator.store.addComment(issue.id, 'Run r12 started.\n\n<!-- ai-implement:run-status:r12 -->');
    const tracker = createLinearTracker({ apiKey: API_KEY, apiUrl: emulator.apiUrl });
    const item = await tracker.getItem(issue.identifier);
    if (!item) throw new Error('missing');
    const legacyId = emulator.commentsOn(issue.identifier)[0]?.id;
    expect(await tracker.ensureComment(item, 'run-status:r1', 'Run r1 finished.')).toEqual({ id: legacyId, created: false });
    expect(await tracker.ensureComment(item, 'run-status:r1', 'Run r1 finished.')).toEqual({ id: legacyId, created: false });
    expect(emulator.commentsOn(issue.identifier).map((c) => c.body)).toEqual([
      'Run r1 finished.\n\n<!-- ai-implement:run-status:r1 -->',
      'Run r12 started.\n\n<!-- ai-implement:run-status:r12 -->',
    ]);
  });
});

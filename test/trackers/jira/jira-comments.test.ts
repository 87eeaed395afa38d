import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkItem } from '../../../src/domain/work-item.js';
import { adfText, JiraEmulator, textToAdf } from '../../../src/sandbox/jira/index.js';
import { createJiraTracker, JIRA_COMMENT_PROPERTY, legacyJiraCommentMarker, markdownToAdf } from '../../../src/trackers/jira/index.js';
import { auditJira, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

// jira.js talks through axios, which honours proxy variables: keep loopback direct.
process.env.NO_PROXY = [process.env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
process.env.no_proxy = process.env.NO_PROXY;

const STATUS = 'AI-Implement Status';
const REPO = 'AI-Implement Repo';
const UPDATES = 50;

/** A Jira emulator with one project, its adapter, and a fresh ticket per test (hooks registered in the calling describe). */
function jiraFixture(options: ConstructorParameters<typeof JiraEmulator>[0] = {}) {
  const emulator = new JiraEmulator(options);
  const audit = auditJira(emulator.server);
  let host = '';
  const tracker = () => createJiraTracker({ host, email: emulator.email, apiToken: emulator.apiToken });
  beforeAll(async () => {
    host = await emulator.start();
    emulator.store.addProject('OPS', 'Operations');
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Jira');
  });
  const freshItem = async (): Promise<WorkItem> => {
    const key = emulator.store.addIssue({ project: 'OPS', summary: 'Comments', custom: { [STATUS]: 'Ready', [REPO]: 'acme/ops' } }).key;
    const item = await tracker().getItem(key);
    if (!item) throw new Error('missing');
    return item;
  };
  return { emulator, tracker, freshItem };
}

/** The adapter keeps each comment's key in a comment entity property, never in the text a reader sees. */
function suite(name: string, listingExpandsProperties: boolean): void {
  describe(`Jira ensureComment: ${name}`, () => {
    const { emulator, tracker, freshItem } = jiraFixture({ commentListingExpandsProperties: listingExpandsProperties });

    it(`keeps one status comment through ${UPDATES} progress updates, its key in a property and out of the text`, async () => {
      const item = await freshItem();
      // Someone else's comment, to be read past and left alone.
      emulator.store.addComment(item.identifier, 'A human says hi.');
      const shared = tracker();
      for (let n = 1; n <= UPDATES; n += 1) {
        const ref = await shared.ensureComment(item, 'run-status:r1', `### Run r1\n\n- ⏳ step ${n} of ${UPDATES}`);
        expect(ref.created, `update ${n}`).toBe(n === 1);
      }
      const comments = emulator.commentsOn(item.identifier);
      expect(comments).toHaveLength(2);
      const status = emulator.commentWithProperty(item.identifier, JIRA_COMMENT_PROPERTY, { key: 'run-status:r1' });
      expect(adfText(status?.body)).toContain(`step ${UPDATES} of ${UPDATES}`);
      expect(JSON.stringify(status?.body)).not.toContain('ai-implement');
      expect(adfText(comments[0]?.body)).toBe('A human says hi.');
    });

    it('tells keys apart that share a prefix, and finds its comment from a second adapter', async () => {
      const item = await freshItem();
      const first = await tracker().ensureComment(item, 'run-status:r1', 'One.');
      const other = await tracker().ensureComment(item, 'run-status:r12', 'Twelve.');
      expect(other.created).toBe(true);
      expect(await tracker().ensureComment(item, 'run-status:r1', 'One, edited.')).toEqual({ id: first.id, created: false });
      expect(emulator.commentsOn(item.identifier).map((c) => adfText(c.body))).toEqual(['One, edited.', 'Twelve.']);
    });

    it('does not edit a comment whose text is unchanged', async () => {
      const item = await freshItem();
      await tracker().ensureComment(item, 'plan:1', 'The plan.');
      emulator.server.clearRequests();
      await tracker().ensureComment(item, 'plan:1', 'The plan.');
      expect(emulator.server.requests.filter((r) => r.method !== 'GET' && r.path !== '/rest/api/3/comment/list')).toEqual([]);
    });
  });
}

suite('listing honours expand=properties', true);
suite('listing ignores expand=properties (read through POST /comment/list)', false);

describe('Jira ensureComment with older comments and concurrent writers', () => {
  const { emulator, tracker, freshItem } = jiraFixture();

  it('adopts a comment an older version marked in its text: the property first, then the text without the marker', async () => {
    const item = await freshItem();
    const old = markdownToAdf(`Run r1 started.\n\n${legacyJiraCommentMarker('run-status:r1')}`);
    const legacy = emulator.store.addComment(item.identifier, old);
    emulator.store.addComment(item.identifier, markdownToAdf(`Run r12 started.\n\n${legacyJiraCommentMarker('run-status:r12')}`));
    emulator.server.clearRequests();
    expect(await tracker().ensureComment(item, 'run-status:r1', 'Run r1 finished.')).toEqual({ id: legacy.id, created: false });
    const writes = emulator.server.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
    expect(writes).toEqual([`/rest/api/3/comment/${legacy.id}/properties/${JIRA_COMMENT_PROPERTY}`, `/rest/api/3/issue/${item.id}/comment/${legacy.id}`]);
    expect(adfText(legacy.body)).toBe('Run r1 finished.');
    expect(legacy.properties).toEqual({ [JIRA_COMMENT_PROPERTY]: { key: 'run-status:r1' } });
    // From now on it is found by the property.
    expect(await tracker().ensureComment(item, 'run-status:r1', 'Run r1 finished.')).toEqual({ id: legacy.id, created: false });
    expect(emulator.commentsOn(item.identifier)).toHaveLength(2);
  });

  it('leaves one comment when two writers in separate processes create it at once: the later one deletes its own', async () => {
    const item = await freshItem();
    // Both writers' lookups come back empty before either create is handled.
    emulator.server.injectFault({ kind: 'latency', method: 'POST', path: `/rest/api/3/issue/${item.id}/comment`, ms: 300, times: 2 });
    const results = await Promise.all([
      tracker().ensureComment(item, 'run-status:race', 'From writer A.'),
      tracker().ensureComment(item, 'run-status:race', 'From writer B.'),
    ]);
    emulator.server.clearFaults();
    expect(emulator.server.requestsTo('POST', `/rest/api/3/issue/${item.id}/comment`).length).toBeGreaterThanOrEqual(2);
    expect(emulator.server.requestsTo('DELETE', `/rest/api/3/issue/${item.id}/comment/`)).toHaveLength(1);
    const comments = emulator.commentsOn(item.identifier);
    expect(comments).toHaveLength(1);
    expect(results.map((r) => r.id)).toEqual([comments[0]?.id, comments[0]?.id]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(comments[0]?.properties).toEqual({ [JIRA_COMMENT_PROPERTY]: { key: 'run-status:race' } });
  });

  it('does not take a comment with the same words but no property for its own', async () => {
    const item = await freshItem();
    emulator.store.addComment(item.identifier, textToAdf('Same words.'));
    const ref = await tracker().ensureComment(item, 'note:1', 'Same words.');
    expect(ref.created).toBe(true);
    expect(emulator.commentsOn(item.identifier)).toHaveLength(2);
    expect(emulator.commentWithProperty(item.identifier, JIRA_COMMENT_PROPERTY, { key: 'note:1' })?.id).toBe(ref.id);
  });
});

describe('Jira ensureComment when a create drops the properties it was given', () => {
  const emulator = new JiraEmulator({ commentCreateIgnoresProperties: true });
  const audit = auditJira(emulator.server);
  let host: string;

  beforeAll(async () => {
    host = await emulator.start();
    emulator.store.addProject('OPS', 'Operations');
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Jira');
  });

  it('sets the property itself, so the comment is found next time', async () => {
    const key = emulator.store.addIssue({ project: 'OPS', summary: 'Lossy', custom: { [STATUS]: 'Ready', [REPO]: 'acme/ops' } }).key;
    const tracker = createJiraTracker({ host, email: emulator.email, apiToken: emulator.apiToken });
    const item = await tracker.getItem(key);
    if (!item) throw new Error('missing');
    const first = await tracker.ensureComment(item, 'run-status:r1', 'Started.');
    expect(emulator.server.requestsTo('PUT', `/rest/api/3/comment/${first.id}/properties/${JIRA_COMMENT_PROPERTY}`)).toHaveLength(1);
    expect(await tracker.ensureComment(item, 'run-status:r1', 'Finished.')).toEqual({ id: first.id, created: false });
    expect(emulator.commentsOn(key).map((c) => adfText(c.body))).toEqual(['Finished.']);
  });
});

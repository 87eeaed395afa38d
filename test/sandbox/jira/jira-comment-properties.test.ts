import { HttpException, Version3Client } from 'jira.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JiraEmulator } from '../../../src/sandbox/jira/index.js';
import { auditJira, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

// Comment entity properties through the real jira.js client: set on create,
// read with `expand=properties` (listing and bulk), and the
// `/rest/api/3/comment/{id}/properties/{key}` routes.
process.env.NO_PROXY = [process.env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
process.env.no_proxy = process.env.NO_PROXY;

describe('Jira emulator comment properties', () => {
  const emulator = new JiraEmulator();
  const audit = auditJira(emulator.server);
  let client: Version3Client;

  beforeAll(async () => {
    const host = await emulator.start();
    client = new Version3Client({ host, authentication: { basic: { email: emulator.email, apiToken: emulator.apiToken } } });
    emulator.store.addProject('OPS', 'Operations');
    emulator.store.addIssue({ project: 'OPS', summary: 'Properties' });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(audit, 'Jira');
  });

  it('keeps properties given on create and shows them only when expanded', async () => {
    const created = await client.issueComments.addComment({
      issueIdOrKey: 'OPS-1',
      comment: 'Run started.',
      properties: [{ key: 'ai-implement', value: { key: 'run-status:r1' } }],
    });
    const id = created.id as string;
    expect(created.properties).toBeUndefined();
    const plain = await client.issueComments.getComments({ issueIdOrKey: 'OPS-1' });
    expect(plain.comments?.[0]?.properties).toBeUndefined();
    const expanded = await client.issueComments.getComments({ issueIdOrKey: 'OPS-1', expand: 'properties' });
    expect(expanded.comments?.[0]?.properties).toEqual([{ key: 'ai-implement', value: { key: 'run-status:r1' } }]);
    const bulk = await client.issueComments.getCommentsByIds({ ids: [Number(id)], expand: 'properties' });
    expect(bulk.values?.[0]?.properties).toEqual([{ key: 'ai-implement', value: { key: 'run-status:r1' } }]);
    expect(emulator.commentWithProperty('OPS-1', 'ai-implement', { key: 'run-status:r1' })?.id).toBe(id);
  });

  it('sets, reads, lists and deletes one property', async () => {
    const created = await client.issueComments.addComment({ issueIdOrKey: 'OPS-1', comment: 'Plan.' });
    const commentId = created.id as string;
    await client.issueCommentProperties.setCommentProperty({ commentId, propertyKey: 'ai-implement', property: { key: 'plan:1' } });
    expect(await client.issueCommentProperties.getCommentProperty({ commentId, propertyKey: 'ai-implement' })).toEqual({
      key: 'ai-implement',
      value: { key: 'plan:1' },
    });
    expect((await client.issueCommentProperties.getCommentPropertyKeys({ commentId })).keys?.map((k) => k.key)).toEqual(['ai-implement']);
    await client.issueCommentProperties.deleteCommentProperty({ commentId, propertyKey: 'ai-implement' });
    const missing = await client.issueCommentProperties.getCommentProperty({ commentId, propertyKey: 'ai-implement' }).catch((e: unknown) => e);
    expect((missing as HttpException).status).toBe(404);
  });

  it('refuses a property list that is not [{ key, value }] and adds no comment', async () => {
    const before = emulator.commentsOn('OPS-1').length;
    const bad = await client.issueComments
      .addComment({ issueIdOrKey: 'OPS-1', comment: 'x', properties: [{ key: '', value: 1 }] })
      .catch((e: unknown) => e);
    expect((bad as HttpException).status).toBe(400);
    expect(emulator.commentsOn('OPS-1')).toHaveLength(before);
  });

  it('can leave `expand=properties` off the listing, where Jira does not document it', async () => {
    const strict = new JiraEmulator({ commentListingExpandsProperties: false });
    const host = await strict.start();
    try {
      strict.store.addProject('OPS', 'Operations');
      strict.store.addIssue({ project: 'OPS', summary: 'Strict' });
      const sdk = new Version3Client({ host, authentication: { basic: { email: strict.email, apiToken: strict.apiToken } } });
      const created = await sdk.issueComments.addComment({ issueIdOrKey: 'OPS-1', comment: 'x', properties: [{ key: 'k', value: 1 }] });
      const listed = await sdk.issueComments.getComments({ issueIdOrKey: 'OPS-1', expand: 'properties' });
      expect(listed.comments?.[0]?.properties).toBeUndefined();
      const bulk = await sdk.issueComments.getCommentsByIds({ ids: [Number(created.id)], expand: 'properties' });
      expect(bulk.values?.[0]?.properties).toEqual([{ key: 'k', value: 1 }]);
    } finally {
      await strict.stop();
    }
  });
});

import { InvalidInputLinearError, LinearClient } from '@linear/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinearEmulator, stripHtmlComments } from '../../../src/sandbox/linear/index.js';

// Comments through the real SDK: a client-chosen id (as `CommentCreateInput.id`
// allows), Linear's refusal of a taken one, `comment(id:)`, deletion, and
// HTML comments dropped from bodies, the risk the adapter must not depend on.

const V4 = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER_V4 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
// The same shape with version 5: the schema documents "UUID v4 format".
const V5 = '886313e1-3b8a-5372-9b90-0c9aee199e5d';

describe('Linear emulator comments', () => {
  const emulator = new LinearEmulator({ apiKey: 'lin_api_comments' });
  let client: LinearClient;
  let issueId: string;

  beforeAll(async () => {
    await emulator.start();
    client = new LinearClient({ apiKey: emulator.apiKey, apiUrl: emulator.apiUrl });
    emulator.store.addTeam({ key: 'ENG' });
    issueId = emulator.store.addIssue({ team: 'ENG', title: 'Comments' }).id;
  });
  afterAll(() => emulator.stop());

  it('creates a comment with the id the client chose and answers comment(id:)', async () => {
    const created = await client.createComment({ id: V4, issueId, body: 'Run started.' });
    expect((await created.comment)?.id).toBe(V4);
    const fetched = await client.comment({ id: V4 });
    expect(fetched.body).toBe('Run started.');
    expect(emulator.commentsOn('ENG-1').map((c) => c.id)).toEqual([V4]);
  });

  it('refuses an id that is taken, and leaves the first comment alone', async () => {
    const error = await client.createComment({ id: V4, issueId, body: 'Second try.' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputLinearError);
    // Ids compare as UUIDs, whatever their case.
    const upper = await client.createComment({ id: V4.toUpperCase(), issueId, body: 'Shouting.' }).catch((e: unknown) => e);
    expect(upper).toBeInstanceOf(InvalidInputLinearError);
    expect(emulator.commentsOn('ENG-1').map((c) => c.body)).toEqual(['Run started.']);
  });

  it('refuses an id that is not in UUID v4 format', async () => {
    for (const id of [V5, 'not-a-uuid']) {
      const error = await client.createComment({ id, issueId, body: 'x' }).catch((e: unknown) => e);
      expect(error, id).toBeInstanceOf(InvalidInputLinearError);
    }
    expect(emulator.commentsOn('ENG-1')).toHaveLength(1);
  });

  it('drops HTML comments from bodies on create and on update', async () => {
    const created = await client.createComment({ issueId, body: 'Visible.\n\n<!-- ai-implement:run-status:r1 -->' });
    const id = (await created.comment)!.id;
    expect(emulator.workspace.comments.find((c) => c.id === id)?.body).toBe('Visible.');
    await client.updateComment(id, { body: 'Edited <!-- hidden --> text.\n\n<!-- ai-implement:run-status:r1 --!>' });
    expect((await client.comment({ id })).body).toBe('Edited  text.');
    // A body with no HTML comment is stored as sent.
    await client.updateComment(id, { body: 'Plain\n\n- list  \n' });
    expect((await client.comment({ id })).body).toBe('Plain\n\n- list  \n');
  });

  it('keeps a deleted comment’s id reserved', async () => {
    await client.createComment({ id: OTHER_V4, issueId, body: 'Doomed.' });
    expect((await client.deleteComment(OTHER_V4)).success).toBe(true);
    expect(emulator.workspace.comments.some((c) => c.id === OTHER_V4)).toBe(false);
    const error = await client.createComment({ id: OTHER_V4, issueId, body: 'Again.' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputLinearError);
    expect(await client.comments({ filter: { id: { eq: OTHER_V4 } } }).then((page) => page.nodes)).toEqual([]);
  });

  it('keeps HTML comments when told to, standing for a workspace where they survived', async () => {
    const keeping = new LinearEmulator({ apiKey: 'lin_api_keep', keepHtmlComments: true });
    await keeping.start();
    try {
      keeping.store.addTeam({ key: 'OLD' });
      const issue = keeping.store.addIssue({ team: 'OLD', title: 'Old' });
      const sdk = new LinearClient({ apiKey: keeping.apiKey, apiUrl: keeping.apiUrl });
      await sdk.createComment({ issueId: issue.id, body: 'Old.\n\n<!-- ai-implement:k -->' });
      expect(keeping.commentsOn('OLD-1')[0]?.body).toBe('Old.\n\n<!-- ai-implement:k -->');
    } finally {
      await keeping.stop();
    }
  });

  it('strips unclosed and `--!>`-closed comments as HTML parsers do', () => {
    expect(stripHtmlComments('a <!-- b --> c')).toBe('a  c');
    expect(stripHtmlComments('a <!-- b --!> c')).toBe('a  c');
    expect(stripHtmlComments('a\n\n<!-- never closed')).toBe('a');
    expect(stripHtmlComments('no comment  ')).toBe('no comment  ');
  });
});

import { z } from 'zod';
import type { WorkItem } from '../../domain/work-item.js';
import { ExternalServiceError } from '../../errors/index.js';
import type { CommentRef } from '../issue-tracker.js';
import { linearCommentIds } from './linear-comment-id.js';
import { hasMarker, markerToken, sameBody, withMarker } from './linear-comment-marker.js';
import { COMMENT_CREATE_MUTATION, COMMENT_UPDATE_MUTATION, COMMENTS_QUERY } from './linear-documents.js';
import { invalidAnswer } from './linear-errors.js';
import { commentsPageSchema, commentWriteSchema } from './linear-work-item.js';

/** The adapter's one way to Linear: a document, its variables, and the schema its answer must fit. */
export type LinearRequest = <T>(document: string, variables: Record<string, unknown>, schema: z.ZodType<T>) => Promise<T>;

interface FoundComment {
  id: string;
  body: string;
  /** Posted by a version that found comments by a hidden marker in the body. */
  legacy: boolean;
}

const LEGACY_PAGE_SIZE = 50;
const createSchema = z.object({ commentCreate: commentWriteSchema });
const updateSchema = z.object({ commentUpdate: commentWriteSchema });

/**
 * `ensureComment` on Linear. The comment's id is derived from the ticket and
 * the key (`linearCommentIds`), so it is found again by id. Nothing in the
 * body has to survive Linear's rich-text storage.
 *
 * 1. Look the ids up (one query). A comment from an older version, found by
 *    its `<!-- ai-implement:<key> -->` marker, is the fallback.
 * 2. If neither exists, create the comment with the first id.
 * 3. If the create fails, look again before anything else. Another writer
 *    may have won the race for the id, or Linear may have created the comment
 *    and the answer was lost. Found means found.
 * 4. If Linear refused the id and no comment has it, a deleted comment still
 *    holds it. Try the next id.
 *
 * An existing comment is rewritten only when its text changed. A legacy
 * comment keeps its marker, because the marker is how that comment is found.
 */
export async function ensureLinearComment(request: LinearRequest, item: WorkItem, key: string, body: string): Promise<CommentRef> {
  const ids = linearCommentIds(item.id, key);
  let existing = (await findById(request, item.id, ids)) ?? (await findByMarker(request, item.id, key));
  let refusal: unknown;
  for (const id of ids) {
    if (existing) break;
    let created: z.infer<typeof createSchema>;
    try {
      created = await request(COMMENT_CREATE_MUTATION, { input: { id, issueId: item.id, body } }, createSchema);
    } catch (error) {
      existing = await findById(request, item.id, ids);
      if (existing) break;
      // Only a plain refusal means the id is taken. Anything else goes back to
      // the caller, who retries later.
      if (!(error instanceof ExternalServiceError) || error.retryable) throw error;
      refusal = error;
      continue;
    }
    const createdId = created.commentCreate.comment?.id;
    // A server that ignored our id would make every later call create another comment.
    if (createdId !== id) throw invalidAnswer(`commentCreate with id ${createdId ?? 'none'} instead of ${id}`, created);
    return { id, created: true };
  }
  if (!existing) throw refusal;
  const wanted = existing.legacy ? withMarker(body, key) : body;
  if (!sameBody(existing.body, wanted)) {
    await request(COMMENT_UPDATE_MUTATION, { id: existing.id, input: { body: wanted } }, updateSchema);
  }
  return { id: existing.id, created: false };
}

async function findById(request: LinearRequest, issueId: string, ids: string[]): Promise<FoundComment | undefined> {
  // A filtered list answers "none" for a missing comment. `comment(id:)` would
  // answer an error instead, and the only way to tell that error apart is its message.
  const filter = { id: { in: ids }, issue: { id: { eq: issueId } } };
  const page = await request(COMMENTS_QUERY, { filter, first: ids.length, after: null }, commentsPageSchema);
  // If more than one id is in use, the earliest one wins. Every writer then picks the same comment.
  for (const id of ids) {
    const found = page.comments.nodes.find((c) => c.id === id);
    if (found) return { ...found, legacy: false };
  }
  return undefined;
}

async function findByMarker(request: LinearRequest, issueId: string, key: string): Promise<FoundComment | undefined> {
  // The server narrows by substring. The exact key is checked here, so `run:1` never matches `run:12`.
  const filter = { issue: { id: { eq: issueId } }, body: { contains: markerToken(key) } };
  let after: string | null = null;
  do {
    const page: z.infer<typeof commentsPageSchema> = await request(COMMENTS_QUERY, { filter, first: LEGACY_PAGE_SIZE, after }, commentsPageSchema);
    const found = page.comments.nodes.find((c) => hasMarker(c.body, key));
    if (found) return { ...found, legacy: true };
    after = page.comments.pageInfo.hasNextPage ? (page.comments.pageInfo.endCursor ?? null) : null;
  } while (after);
  return undefined;
}

import type { LinearNodes } from './linear-nodes.js';
import { argumentValidationError, input, invalidInput, notFound, text, type Args } from './linear-resolver-args.js';
import type { LinearComment, LinearStore } from './linear-state.js';

/**
 * `commentCreate`, `commentUpdate` and `commentDelete`. Two things here are
 * Linear's as documented or as feared, not as observed:
 *
 * - A client may choose the new comment's id. The schema documents it as
 *   "The identifier in UUID v4 format", so anything else is refused, and so is
 *   an id that is in use or was used by a deleted comment.
 * - Bodies lose their HTML comments (`<!-- … -->`) on create and update. This
 *   follows the risk that Linear's rich-text storage drops them, as converters
 *   that target Linear do. It is on unless the emulator is told to keep them.
 */

export interface CommentMutationOptions {
  keepHtmlComments: boolean;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
// An unclosed comment runs to the end, and `--!>` also closes one, as in HTML.
const HTML_COMMENT = /<!--[\s\S]*?(?:--!?>|$)/g;

/** What a body looks like once Linear's storage is done with it. */
export function stripHtmlComments(body: string): string {
  return body.includes('<!--') ? body.replace(HTML_COMMENT, '').trimEnd() : body;
}

export function buildCommentMutations(
  store: LinearStore,
  nodes: LinearNodes,
  nextSyncId: () => number,
  options: CommentMutationOptions,
): Record<string, (args: Args) => unknown> {
  const stored = (body: string): string => (options.keepHtmlComments ? body : stripHtmlComments(body));
  const payload = (comment: LinearComment) => ({
    __typename: 'CommentPayload',
    success: true,
    lastSyncId: nextSyncId(),
    comment: nodes.comment(comment),
  });

  return {
    commentCreate: (args: Args) => {
      const fields = input(args);
      const issue = store.findIssue(text(fields, 'issueId'));
      if (!issue) throw notFound('Issue');
      let id: string | undefined;
      if (fields.id !== undefined && fields.id !== null) {
        if (typeof fields.id !== 'string' || !UUID_V4.test(fields.id)) throw argumentValidationError('id must be a UUID v4.');
        if (store.commentIdTaken(fields.id)) throw invalidInput('A comment with this id already exists.');
        id = fields.id;
      }
      const comment = store.addComment(issue.id, stored(text(fields, 'body')), id === undefined ? {} : { id });
      return payload(comment);
    },
    commentUpdate: (args: Args) => {
      const comment = store.workspace.comments.find((c) => c.id === args.id);
      if (!comment) throw notFound('Comment');
      comment.body = stored(text(input(args), 'body'));
      comment.updatedAt = store.stamp();
      return payload(comment);
    },
    commentDelete: (args: Args) => {
      const id = text(args, 'id');
      if (!store.deleteComment(id)) throw notFound('Comment');
      return { __typename: 'DeletePayload', success: true, lastSyncId: nextSyncId(), entityId: id };
    },
  };
}

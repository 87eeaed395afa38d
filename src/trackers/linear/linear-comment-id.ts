import { createHash } from 'node:crypto';

/**
 * Deterministic ids for the comments the Linear adapter keeps. Linear lets a
 * client choose a new comment's id (`CommentCreateInput.id`), so the id
 * itself can say which ticket and which purpose (`run-status:<runId>`) a
 * comment serves, and nothing has to survive inside the body: Linear keeps
 * comments as rich text, and Markdown converters drop `<!-- -->`.
 */

/**
 * AI-Implement's namespace for name-based ids. Chosen once at random; it must
 * never change, or comments already posted would no longer be found.
 */
export const COMMENT_ID_NAMESPACE = '52f383c1-7f66-47b6-91c4-78823df60118';

/**
 * How many ids one key may use. The first is the one normally used. The
 * others are fallbacks for the case where someone deleted our comment and
 * Linear still keeps the deleted comment's id reserved: then the next id is
 * used.
 */
export const COMMENT_ID_GENERATIONS = 3;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A name-based UUID built as RFC 4122 §4.3 describes: SHA-1 over the
 * namespace's 16 bytes and the name's UTF-8 bytes, with the first 16 bytes
 * kept and the version and variant bits set. With `version` 5 this is a
 * standard UUIDv5.
 */
export function nameBasedUuid(namespace: string, name: string, version: 4 | 5): string {
  if (!UUID.test(namespace)) throw new Error(`not a UUID: ${namespace}`);
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | (version << 4);
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The ids the comment for (`issueId`, `key`) may have, in the order they are
 * tried. The hash is the RFC 4122 name-based (v5) construction. The version
 * field is stamped 4, because Linear's schema documents
 * `CommentCreateInput.id` as "The identifier in UUID v4 format". A server
 * that checks the version would refuse a 5. The id stays just as
 * deterministic.
 */
export function linearCommentIds(issueId: string, key: string): string[] {
  return Array.from({ length: COMMENT_ID_GENERATIONS }, (_, generation) =>
    nameBasedUuid(COMMENT_ID_NAMESPACE, generation === 0 ? `${issueId}\n${key}` : `${issueId}\n${key}\n${generation}`, 4),
  );
}

/** The id the comment for (`issueId`, `key`) gets unless that id is taken. */
export function linearCommentId(issueId: string, key: string): string {
  return linearCommentIds(issueId, key)[0] as string;
}

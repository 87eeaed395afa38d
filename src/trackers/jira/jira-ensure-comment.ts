import type { Version3, Version3Client } from 'jira.js';
import { z } from 'zod';
import type { WorkItem } from '../../domain/work-item.js';
import type { CommentRef } from '../issue-tracker.js';
import { adfToText, markdownToAdf, type AdfNode } from './jira-adf.js';

/**
 * `ensureComment` on Jira. The key lives in a comment entity property,
 * `ai-implement` = `{ "key": "<key>" }`, not in the visible text. Jira has no
 * hidden comments, and a marker paragraph is noise to the reader.
 *
 * - The property is part of the create request, so there is never a comment
 *   without its key.
 * - Comments are listed with `expand=properties`. Jira documents that expand
 *   only for `POST /rest/api/3/comment/list`. If a page comes back with no
 *   `properties` at all, that page is read again through the bulk route.
 * - Jira has no client-chosen ids. After a create, the comments are listed
 *   again. If the create lost the property, it is PUT. If two writers both
 *   created a comment for the key, the one with the lower id (the earlier
 *   one) stays, and the other writer deletes its own and edits the
 *   survivor.
 * - Comments from older versions end with a visible `[ai-implement:<key>]`
 *   paragraph and are still found by it. The first rewrite sets the property
 *   before it drops the paragraph, so the comment can be found at every step.
 */

export const JIRA_COMMENT_PROPERTY = 'ai-implement';

const PAGE_SIZE = 100;

const propertySchema = z.object({ key: z.string(), value: z.unknown() });
const commentSchema = z.object({ id: z.string(), body: z.unknown(), properties: z.array(propertySchema).nullish() });
const commentsPageSchema = z.object({ total: z.number().nullish(), comments: z.array(commentSchema).nullish() });
const commentListSchema = z.object({ values: z.array(commentSchema).nullish() });
const createdSchema = z.object({ id: z.string() });

type JiraComment = z.infer<typeof commentSchema>;

/** The adapter's one way to Jira: a call through jira.js, its errors converted, its answer checked. */
export type JiraCall = <T>(send: () => Promise<unknown>, schema?: z.ZodType<T>) => Promise<T>;

interface Found {
  id: string;
  body: AdfNode | undefined;
  /** Found by the visible marker of an older version, not by the property. */
  legacy: boolean;
}

/** The visible marker older versions ended each comment with. */
export function legacyJiraCommentMarker(key: string): string {
  return `[ai-implement:${key}]`;
}

export async function ensureJiraComment(client: Version3Client, call: JiraCall, item: WorkItem, key: string, body: string): Promise<CommentRef> {
  const wanted = markdownToAdf(body);
  const existing = await findComment(client, call, item.id, key);
  if (existing) return rewrite(client, call, item.id, key, existing, wanted);

  const created = await call(
    () =>
      client.issueComments.addComment({
        issueIdOrKey: item.id,
        comment: asDocument(wanted),
        properties: [{ key: JIRA_COMMENT_PROPERTY, value: { key } }],
      }),
    createdSchema,
  );
  const keyed = await keyedComments(client, call, item.id, key);
  if (!keyed.some((c) => c.id === created.id)) {
    // The create dropped the property (or the listing lags behind). Without it, this comment would never be found again.
    await setKey(client, call, created.id, key);
    keyed.push({ id: created.id, body: wanted });
    keyed.sort(byId);
  }
  const first = keyed[0] as JiraComment;
  if (first.id === created.id) return { id: created.id, created: true };
  // A concurrent writer created the same comment earlier. Theirs stays.
  await call(() => client.issueComments.deleteComment({ issueIdOrKey: item.id, id: created.id }));
  return rewrite(client, call, item.id, key, { id: first.id, body: first.body as AdfNode | undefined, legacy: false }, wanted);
}

async function rewrite(client: Version3Client, call: JiraCall, issueId: string, key: string, existing: Found, wanted: AdfNode): Promise<CommentRef> {
  if (existing.legacy) await setKey(client, call, existing.id, key);
  // Jira may normalise stored ADF, so "unchanged" is judged on the text a reader sees.
  if (adfToText(existing.body) !== adfToText(wanted)) {
    await call(() => client.issueComments.updateComment({ issueIdOrKey: issueId, id: existing.id, body: asDocument(wanted) }));
  }
  return { id: existing.id, created: false };
}

/** The comment carrying the key's property (the earliest, should there be several), else an older one with the visible marker. */
async function findComment(client: Version3Client, call: JiraCall, issueId: string, key: string): Promise<Found | undefined> {
  const marker = legacyJiraCommentMarker(key);
  let legacy: Found | undefined;
  for await (const page of commentPages(client, call, issueId)) {
    const keyed = page.find((c) => carriesKey(c, key));
    if (keyed) return { id: keyed.id, body: keyed.body as AdfNode | undefined, legacy: false };
    const old = legacy ? undefined : page.find((c) => adfToText(c.body as AdfNode | undefined).includes(marker));
    if (old) legacy = { id: old.id, body: old.body as AdfNode | undefined, legacy: true };
  }
  return legacy;
}

/** Every comment carrying the key's property, lowest (earliest) id first. */
async function keyedComments(client: Version3Client, call: JiraCall, issueId: string, key: string): Promise<JiraComment[]> {
  const keyed: JiraComment[] = [];
  for await (const page of commentPages(client, call, issueId)) keyed.push(...page.filter((c) => carriesKey(c, key)));
  return keyed.sort(byId);
}

/** The issue's comments a page at a time, each comment with its properties. */
async function* commentPages(client: Version3Client, call: JiraCall, issueId: string): AsyncGenerator<JiraComment[]> {
  let startAt = 0;
  for (;;) {
    const page = await call(
      () => client.issueComments.getComments({ issueIdOrKey: issueId, startAt, maxResults: PAGE_SIZE, expand: 'properties' }),
      commentsPageSchema,
    );
    const comments = page.comments ?? [];
    if (comments.length === 0) return;
    // A server that honoured the expand shows `properties` on its comments; one that ignored it shows none.
    yield comments.some((c) => c.properties !== undefined && c.properties !== null) ? comments : await withProperties(client, call, comments);
    startAt += comments.length;
    if (startAt >= (page.total ?? 0)) return;
  }
}

/** The same comments read through `POST /rest/api/3/comment/list`, where `expand=properties` is documented. */
async function withProperties(client: Version3Client, call: JiraCall, comments: JiraComment[]): Promise<JiraComment[]> {
  const ids = comments.map((c) => Number(c.id));
  const list = await call(() => client.issueComments.getCommentsByIds({ ids, expand: 'properties' }), commentListSchema);
  const byId = new Map((list.values ?? []).map((c) => [c.id, c]));
  return comments.map((c) => ({ ...c, properties: byId.get(c.id)?.properties ?? [] }));
}

function setKey(client: Version3Client, call: JiraCall, commentId: string, key: string): Promise<unknown> {
  return call(() => client.issueCommentProperties.setCommentProperty({ commentId, propertyKey: JIRA_COMMENT_PROPERTY, property: { key } }));
}

function byId(a: JiraComment, b: JiraComment): number {
  return Number(a.id) - Number(b.id);
}

function carriesKey(comment: JiraComment, key: string): boolean {
  return (comment.properties ?? []).some((p) => p.key === JIRA_COMMENT_PROPERTY && (p.value as { key?: unknown } | null)?.key === key);
}

function asDocument(doc: AdfNode): Version3.Version3Models.Document {
  return doc as Version3.Version3Models.Document;
}

import { json, type EmulatorRequest, type EmulatorResponse, type EmulatorRouter } from '../emulator-server.js';
import { ISSUE_NOT_FOUND, jiraError } from './jira-errors.js';
import { isAdfDocument } from './jira-format.js';
import { NOT_ADF, type JiraRouteContext } from './jira-issue-routes.js';
import type { JiraComment, JiraIssue } from './jira-state.js';

/**
 * Comment routes: list, read, add, edit and delete an issue's comments,
 * read comments in bulk (`POST /rest/api/3/comment/list`), and the
 * comment entity properties (`/rest/api/3/comment/{id}/properties/{key}`).
 * `properties` can be set on create and update, as Jira's Comment bean
 * documents ("Optional on create and update"). They come back only with
 * `expand=properties`.
 */

export interface JiraCommentRouteOptions {
  /**
   * Whether the issue's comment listing honours `expand=properties`. Jira
   * documents that expand only for `POST /rest/api/3/comment/list`. Turning
   * this off checks that a client still finds properties without it.
   */
  listingExpandsProperties: boolean;
  /** Whether a create drops the `properties` it was given, for a client that must check. */
  createIgnoresProperties: boolean;
}

const MAX_PROPERTY_KEY = 255;

function commentNotFound(id: string | undefined): EmulatorResponse {
  return jiraError(404, [`Can not find a comment for the id: ${id ?? ''}.`]);
}

function expandsProperties(req: EmulatorRequest): boolean {
  return req.query.getAll('expand').flatMap((v) => v.split(',')).some((v) => v.trim() === 'properties');
}

type PropertiesRead = { ok: true; properties: Record<string, unknown> } | { ok: false; response: EmulatorResponse };

/** `[{ key, value }]` from a create or update body, or the 400 Jira gives. */
function readProperties(raw: unknown): PropertiesRead {
  if (raw === undefined || raw === null) return { ok: true, properties: {} };
  const invalid = (message: string): PropertiesRead => ({ ok: false, response: jiraError(400, [], { properties: message }) });
  if (!Array.isArray(raw)) return invalid('Properties must be a list of { key, value }.');
  const properties: Record<string, unknown> = {};
  for (const entry of raw as { key?: unknown; value?: unknown }[]) {
    if (typeof entry?.key !== 'string' || entry.key === '' || entry.key.length > MAX_PROPERTY_KEY) {
      return invalid(`The property key must be between 1 and ${MAX_PROPERTY_KEY} characters long.`);
    }
    properties[entry.key] = structuredClone(entry.value ?? null);
  }
  return { ok: true, properties };
}

export function registerCommentRoutes(router: EmulatorRouter, ctx: JiraRouteContext, options: JiraCommentRouteOptions): void {
  const { store, format } = ctx;
  const withIssue = (handler: (req: EmulatorRequest, issue: JiraIssue) => EmulatorResponse) => (req: EmulatorRequest) => {
    const issue = store.findIssue(req.params.key ?? '');
    return issue ? handler(req, issue) : jiraError(404, [ISSUE_NOT_FOUND]);
  };
  const commentOf = (issue: JiraIssue, id: string | undefined): JiraComment | undefined =>
    store.site.comments.find((c) => c.id === id && c.issueId === issue.id);
  const withComment = (handler: (req: EmulatorRequest, comment: JiraComment) => EmulatorResponse) => (req: EmulatorRequest) => {
    const comment = store.site.comments.find((c) => c.id === req.params.id);
    return comment ? handler(req, comment) : commentNotFound(req.params.id);
  };

  router.on('GET', '/rest/api/3/issue/:key/comment', withIssue((req, issue) => {
    const all = store.site.comments.filter((c) => c.issueId === issue.id);
    const ordered = req.query.get('orderBy') === '-created' ? [...all].reverse() : all;
    const startAt = Number(req.query.get('startAt') ?? 0) || 0;
    const maxResults = Math.min(Number(req.query.get('maxResults') ?? 5000) || 5000, 5000);
    const page = ordered.slice(startAt, startAt + maxResults);
    const properties = expandsProperties(req) && options.listingExpandsProperties;
    return json(200, { startAt, maxResults, total: all.length, comments: page.map((c) => format.comment(c, { properties })) });
  }));

  router.on('POST', '/rest/api/3/issue/:key/comment', withIssue((req, issue) => {
    const request = (req.body ?? {}) as { body?: unknown; properties?: unknown };
    if (!isAdfDocument(request.body)) return jiraError(400, [], { comment: NOT_ADF });
    const read = readProperties(request.properties);
    if (!read.ok) return read.response;
    const properties = options.createIgnoresProperties ? {} : read.properties;
    const comment = store.addComment(issue.id, structuredClone(request.body), ctx.caller(req).accountId, properties);
    return json(201, format.comment(comment, { properties: expandsProperties(req) }));
  }));

  router.on('GET', '/rest/api/3/issue/:key/comment/:id', withIssue((req, issue) => {
    const comment = commentOf(issue, req.params.id);
    return comment ? json(200, format.comment(comment, { properties: expandsProperties(req) })) : commentNotFound(req.params.id);
  }));

  router.on('PUT', '/rest/api/3/issue/:key/comment/:id', withIssue((req, issue) => {
    const comment = commentOf(issue, req.params.id);
    if (!comment) return commentNotFound(req.params.id);
    const request = (req.body ?? {}) as { body?: unknown; properties?: unknown };
    if (!isAdfDocument(request.body)) return jiraError(400, [], { comment: NOT_ADF });
    const read = readProperties(request.properties);
    if (!read.ok) return read.response;
    comment.body = structuredClone(request.body);
    Object.assign(comment.properties, read.properties);
    comment.updated = store.stamp();
    return json(200, format.comment(comment, { properties: expandsProperties(req) }));
  }));

  router.on('DELETE', '/rest/api/3/issue/:key/comment/:id', withIssue((req, issue) => {
    const comment = commentOf(issue, req.params.id);
    if (!comment) return commentNotFound(req.params.id);
    store.site.comments.splice(store.site.comments.indexOf(comment), 1);
    return { status: 204 };
  }));

  router.on('POST', '/rest/api/3/comment/list', (req) => {
    const ids = (req.body as { ids?: unknown } | undefined)?.ids;
    if (!Array.isArray(ids) || ids.length > 1000) return jiraError(400, ['Provide between 1 and 1000 comment ids.']);
    const wanted = new Set(ids.map((id) => String(id)));
    const values = store.site.comments.filter((c) => wanted.has(c.id)).map((c) => format.comment(c, { properties: expandsProperties(req) }));
    return json(200, { startAt: 0, maxResults: 1000, total: values.length, isLast: true, values });
  });

  router.on('GET', '/rest/api/3/comment/:id/properties', withComment((req, comment) => {
    const keys = Object.keys(comment.properties).map((key) => ({ key, self: `${req.path}/${encodeURIComponent(key)}` }));
    return json(200, { keys });
  }));

  router.on('GET', '/rest/api/3/comment/:id/properties/:propertyKey', withComment((req, comment) => {
    const key = req.params.propertyKey ?? '';
    if (!(key in comment.properties)) return jiraError(404, [`The property with key '${key}' does not exist.`]);
    return json(200, { key, value: structuredClone(comment.properties[key]) });
  }));

  router.on('PUT', '/rest/api/3/comment/:id/properties/:propertyKey', withComment((req, comment) => {
    const key = req.params.propertyKey ?? '';
    if (key === '' || key.length > MAX_PROPERTY_KEY) return jiraError(400, [`The property key must be between 1 and ${MAX_PROPERTY_KEY} characters long.`]);
    if (req.body === undefined) return jiraError(400, ['The property value must be valid JSON.']);
    const existed = key in comment.properties;
    comment.properties[key] = structuredClone(req.body);
    return { status: existed ? 200 : 201 };
  }));

  router.on('DELETE', '/rest/api/3/comment/:id/properties/:propertyKey', withComment((req, comment) => {
    const key = req.params.propertyKey ?? '';
    if (!(key in comment.properties)) return jiraError(404, [`The property with key '${key}' does not exist.`]);
    delete comment.properties[key];
    return { status: 204 };
  }));
}

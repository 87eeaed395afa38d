import { json, type EmulatorRequest, type EmulatorResponse, type EmulatorRouter } from '../emulator-server.js';
import { jiraError } from './jira-errors.js';
import type { JiraRouteContext } from './jira-issue-routes.js';
import { JqlEvaluator } from './jql-evaluator.js';
import { JqlSyntaxError, parseJql, type JqlNode, type JqlOperand, type JqlQuery } from './jql-parser.js';

/**
 * Search and metadata routes: the enhanced JQL search (`/search/jql`, paged
 * by an opaque `nextPageToken`), the retired `/search` (410 as upstream),
 * JQL parsing, fields with their contexts and options, myself, serverInfo.
 */

interface SearchContext extends JiraRouteContext {
  now: () => Date;
  baseUrl: () => string;
}

const MAX_RESULTS_WITH_FIELDS = 100;
const MAX_RESULTS_IDS_ONLY = 5000;

function encodeToken(jql: string, offset: number): string {
  return Buffer.from(JSON.stringify({ q: jql, o: offset })).toString('base64url');
}

function decodeToken(token: string, jql: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
    return parsed.q === jql && typeof parsed.o === 'number' ? parsed.o : undefined;
  } catch {
    return undefined;
  }
}

function toList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(',');
}

export function registerSearchRoutes(router: EmulatorRouter, ctx: SearchContext): void {
  const { store, format } = ctx;
  const evaluator = new JqlEvaluator(store);

  const search = (req: EmulatorRequest, params: { jql?: unknown; nextPageToken?: unknown; maxResults?: unknown; fields?: unknown }): EmulatorResponse => {
    const jql = typeof params.jql === 'string' ? params.jql : '';
    let query: JqlQuery;
    try {
      query = parseJql(jql);
    } catch (error) {
      if (error instanceof JqlSyntaxError) return jiraError(400, [error.message]);
      throw error;
    }
    if (!query.where) {
      return jiraError(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);
    }
    const jqlCtx = { currentUser: ctx.caller(req).accountId, now: ctx.now() };
    const errors = evaluator.validate(query, jqlCtx);
    if (errors.length > 0) return jiraError(400, errors);

    const fields = toList(params.fields) ?? ['id'];
    const idsOnly = fields.every((f) => f === 'id' || f === 'key');
    const cap = idsOnly ? MAX_RESULTS_IDS_ONLY : MAX_RESULTS_WITH_FIELDS;
    const requested = params.maxResults === undefined || params.maxResults === null ? 50 : Number(params.maxResults);
    if (!Number.isInteger(requested) || requested < 0) return jiraError(400, ["The value of 'maxResults' must be a non-negative integer."]);
    const maxResults = Math.min(requested, cap);

    let offset = 0;
    if (typeof params.nextPageToken === 'string' && params.nextPageToken !== '') {
      const decoded = decodeToken(params.nextPageToken, jql);
      if (decoded === undefined) return jiraError(400, ['The provided next page token is invalid or expired.']);
      offset = decoded;
    }
    const matching = evaluator.sort(store.site.issues.filter((issue) => evaluator.matches(issue, query.where, jqlCtx)), query);
    const page = matching.slice(offset, offset + maxResults);
    const isLast = offset + page.length >= matching.length;
    const body: Record<string, unknown> = { issues: page.map((issue) => format.issue(issue, fields)), isLast };
    if (!isLast) body.nextPageToken = encodeToken(jql, offset + page.length);
    return json(200, body);
  };

  router.on('GET', '/rest/api/3/search/jql', (req) =>
    search(req, {
      jql: req.query.get('jql') ?? undefined,
      nextPageToken: req.query.get('nextPageToken') ?? undefined,
      maxResults: req.query.get('maxResults') ?? undefined,
      fields: req.query.getAll('fields').length > 0 ? req.query.getAll('fields').join(',') : undefined,
    }),
  );
  router.on('POST', '/rest/api/3/search/jql', (req) => search(req, (req.body ?? {}) as Record<string, unknown>));

  const gone = (): EmulatorResponse =>
    jiraError(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046']);
  router.on('GET', '/rest/api/3/search', gone);
  router.on('POST', '/rest/api/3/search', gone);

  router.on('POST', '/rest/api/3/jql/parse', (req) => {
    const queries = (req.body as { queries?: unknown } | undefined)?.queries;
    if (!Array.isArray(queries)) return jiraError(400, ['The queries field is required.']);
    const validation = req.query.get('validation') ?? 'strict';
    const jqlCtx = { currentUser: ctx.caller(req).accountId, now: ctx.now() };
    const results = queries.map((text) => {
      const jql = String(text);
      try {
        const query = parseJql(jql);
        const out: Record<string, unknown> = { query: jql, structure: structureOf(query) };
        const problems = validation === 'none' ? [] : evaluator.validate(query, jqlCtx);
        if (problems.length > 0) out[validation === 'warn' ? 'warnings' : 'errors'] = problems;
        return out;
      } catch (error) {
        if (error instanceof JqlSyntaxError) return { query: jql, errors: [error.message] };
        throw error;
      }
    });
    return json(200, { queries: results });
  });

  router.on('GET', '/rest/api/3/field', () => json(200, format.fieldList()));

  router.on('GET', '/rest/api/3/field/:fieldId/context', (req) => {
    const field = store.findCustomField(req.params.fieldId ?? '');
    if (!field) return jiraError(404, ['The custom field was not found.']);
    const context = {
      id: field.contextId,
      name: `Default Configuration Scheme for ${field.name}`,
      description: `Default configuration scheme generated by Jira`,
      isGlobalContext: true,
      isAnyIssueType: true,
    };
    return json(200, { maxResults: 50, startAt: 0, total: 1, isLast: true, values: [context] });
  });

  router.on('GET', '/rest/api/3/field/:fieldId/context/:contextId/option', (req) => {
    const field = store.findCustomField(req.params.fieldId ?? '');
    if (!field) return jiraError(404, ['The custom field was not found.']);
    if (field.contextId !== req.params.contextId) return jiraError(404, ['The context was not found.']);
    if (field.type !== 'select') return jiraError(400, ['The custom field doesn\'t support options.']);
    const startAt = Number(req.query.get('startAt') ?? 0) || 0;
    const maxResults = Number(req.query.get('maxResults') ?? 100) || 100;
    const values = field.options.slice(startAt, startAt + maxResults).map((o) => ({ id: o.id, value: o.value, disabled: o.disabled }));
    return json(200, { maxResults, startAt, total: field.options.length, isLast: startAt + values.length >= field.options.length, values });
  });

  // Projects the caller can browse, a page at a time; this emulator lets every API user see every project.
  router.on('GET', '/rest/api/3/project/search', (req) => {
    const startAt = Math.max(0, Number(req.query.get('startAt') ?? 0) || 0);
    const maxResults = Math.min(100, Math.max(1, Number(req.query.get('maxResults') ?? 50) || 50));
    const all = store.site.projects;
    const values = all.slice(startAt, startAt + maxResults).map((p) => ({
      self: `${ctx.baseUrl()}/rest/api/3/project/${p.id}`,
      id: p.id,
      key: p.key,
      name: p.name,
      projectTypeKey: 'software',
      simplified: false,
      style: 'classic',
      isPrivate: false,
      avatarUrls: {},
    }));
    const page = `${ctx.baseUrl()}/rest/api/3/project/search`;
    const isLast = startAt + values.length >= all.length;
    return json(200, {
      self: `${page}?startAt=${startAt}&maxResults=${maxResults}`,
      ...(isLast ? {} : { nextPage: `${page}?startAt=${startAt + values.length}&maxResults=${maxResults}` }),
      maxResults,
      startAt,
      total: all.length,
      isLast,
      values,
    });
  });

  router.on('GET', '/rest/api/3/myself', (req) => json(200, format.user(ctx.caller(req))));

  router.on('GET', '/rest/api/3/serverInfo', () =>
    json(200, { baseUrl: ctx.baseUrl(), version: '1001.0.0-SNAPSHOT', deploymentType: 'Cloud', serverTitle: 'Jira (sandbox)', serverTime: ctx.now().toISOString() }),
  );
}

function structureOf(query: JqlQuery): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (query.where) out.where = clauseStructure(query.where);
  if (query.orderBy.length > 0) {
    out.orderBy = { fields: query.orderBy.map((o) => (o.direction ? { field: { name: o.field }, direction: o.direction } : { field: { name: o.field } })) };
  }
  return out;
}

function clauseStructure(node: JqlNode): Record<string, unknown> {
  if (node.kind === 'and' || node.kind === 'or') return { clauses: node.clauses.map(clauseStructure), operator: node.kind };
  if (node.kind === 'not') return { clauses: [clauseStructure(node.clause)], operator: 'not' };
  return { field: { name: node.field }, operator: node.operator, operand: operandStructure(node.operand) };
}

function operandStructure(operand: JqlOperand): Record<string, unknown> {
  switch (operand.kind) {
    case 'value':
      return { value: operand.value };
    case 'empty':
      return { keyword: 'empty' };
    case 'function':
      return { function: operand.name, arguments: operand.args };
    case 'list':
      return { values: operand.values.map(operandStructure) };
  }
}

import { json, type EmulatorRequest, type EmulatorResponse, type EmulatorRouter } from '../emulator-server.js';
import { ISSUE_NOT_FOUND, jiraError } from './jira-errors.js';
import { isAdfDocument, type JiraFormatter } from './jira-format.js';
import type { JiraIssue, JiraStore, JiraUser } from './jira-state.js';

/**
 * Issue routes: get and edit an issue, list and perform transitions.
 * Edits are validated as a whole before any change is applied, so a 400
 * leaves the issue untouched. Comments are in `jira-comment-routes.ts`.
 */

export interface JiraRouteContext {
  store: JiraStore;
  format: JiraFormatter;
  caller: (req: EmulatorRequest) => JiraUser;
}

type Change = (issue: JiraIssue) => void;

export const NOT_ADF = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';

function fieldsParam(req: EmulatorRequest): string[] | undefined {
  const raw = req.query.getAll('fields');
  return raw.length > 0 ? raw : undefined;
}

/** Turns `fields` and `update` of an edit into changes, or Jira's field errors. */
export function planIssueEdit(store: JiraStore, body: unknown): { changes: Change[]; errors: Record<string, string> } {
  const request = (typeof body === 'object' && body !== null ? body : {}) as { fields?: Record<string, unknown>; update?: Record<string, unknown> };
  const changes: Change[] = [];
  const errors: Record<string, string> = {};
  const fields: Record<string, unknown> = { ...(request.fields ?? {}) };
  const labelOps: { op: 'add' | 'remove' | 'set'; value: unknown }[] = [];

  for (const [key, ops] of Object.entries(request.update ?? {})) {
    if (!Array.isArray(ops)) {
      errors[key] = 'Update operations must be a list.';
      continue;
    }
    for (const entry of ops as Record<string, unknown>[]) {
      const [op, value] = Object.entries(entry)[0] ?? [];
      if (key === 'labels' && (op === 'add' || op === 'remove' || op === 'set')) labelOps.push({ op, value });
      else if (op === 'set') fields[key] = value;
      else errors[key] = `Operation '${String(op)}' is not supported for field '${key}'.`;
    }
  }

  for (const [key, value] of Object.entries(fields)) {
    if (key === 'summary') {
      if (typeof value !== 'string' || value.trim() === '') errors.summary = 'You must specify a summary of the issue.';
      else changes.push((i) => (i.summary = value));
    } else if (key === 'description') {
      if (value !== null && !isAdfDocument(value)) errors.description = NOT_ADF;
      else changes.push((i) => (i.description = value === null ? null : structuredClone(value)));
    } else if (key === 'labels') {
      labelOps.push({ op: 'set', value });
    } else if (key === 'assignee') {
      const ref = value === null ? null : ((value as { accountId?: string; id?: string }).accountId ?? (value as { id?: string }).id);
      const user = ref ? store.findUser(ref) : undefined;
      if (ref && !user) errors.assignee = `User '${ref}' does not exist.`;
      else changes.push((i) => (i.assigneeId = user?.accountId ?? null));
    } else {
      const field = key.startsWith('customfield_') ? store.findCustomField(key) : undefined;
      if (!field) {
        errors[key] = `Field '${key}' cannot be set. It is not on the appropriate screen, or unknown.`;
      } else if (value === null) {
        changes.push((i) => (i.custom[field.id] = null));
      } else if (field.type === 'text') {
        if (typeof value !== 'string') errors[key] = `Field '${field.name}' expects a string.`;
        else changes.push((i) => (i.custom[field.id] = value));
      } else {
        const ref = value as { value?: string; id?: string };
        const option = field.options.find((o) => (ref.id !== undefined && o.id === String(ref.id)) || (ref.value !== undefined && o.value === ref.value));
        if (!option || option.disabled) errors[key] = `Option value '${ref.value ?? ref.id ?? JSON.stringify(value)}' is not valid`;
        else changes.push((i) => (i.custom[field.id] = option.id));
      }
    }
  }

  for (const { op, value } of labelOps) {
    const list = op === 'set' ? value : [value];
    if (!Array.isArray(list) || list.some((l) => typeof l !== 'string')) {
      errors.labels = 'Labels must be strings.';
    } else if (list.some((l) => /\s/.test(l as string))) {
      errors.labels = `The label '${(list as string[]).find((l) => /\s/.test(l))}' contains spaces which is invalid.`;
    } else {
      const labels = list as string[];
      changes.push((i) => {
        if (op === 'set') i.labels = [...labels];
        else if (op === 'add') i.labels = [...new Set([...i.labels, ...labels])];
        else i.labels = i.labels.filter((l) => !labels.includes(l));
      });
    }
  }
  return { changes, errors };
}

export function registerIssueRoutes(router: EmulatorRouter, ctx: JiraRouteContext): void {
  const { store, format } = ctx;
  const withIssue = (handler: (req: EmulatorRequest, issue: JiraIssue) => EmulatorResponse) => (req: EmulatorRequest) => {
    const issue = store.findIssue(req.params.key ?? '');
    return issue ? handler(req, issue) : jiraError(404, [ISSUE_NOT_FOUND]);
  };
  const applyEdit = (issue: JiraIssue, body: unknown): EmulatorResponse | undefined => {
    const { changes, errors } = planIssueEdit(store, body);
    if (Object.keys(errors).length > 0) return jiraError(400, [], errors);
    if (changes.length === 0) return undefined;
    changes.forEach((change) => change(issue));
    store.touch(issue);
    return undefined;
  };

  // Create: project, issue type and summary are required; the other fields go through the edit rules, all checked before the issue exists.
  router.on('POST', '/rest/api/3/issue', (req) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { fields?: Record<string, unknown>; update?: Record<string, unknown> };
    const { project: projectRef, issuetype, ...rest } = body.fields ?? {};
    const errors: Record<string, string> = {};
    const ref = (projectRef ?? {}) as { key?: string; id?: string };
    const project = ref.key !== undefined || ref.id !== undefined ? store.findProject(String(ref.key ?? ref.id)) : undefined;
    if (!project) errors.project = 'Specify a valid project ID or key';
    const type = (issuetype ?? {}) as { name?: string; id?: string };
    if (type.name === undefined && type.id === undefined) errors.issuetype = 'Specify an issue type';
    if (typeof rest.summary !== 'string' || rest.summary.trim() === '') errors.summary = 'You must specify a summary of the issue.';
    const planned = planIssueEdit(store, { fields: rest, ...(body.update ? { update: body.update } : {}) });
    Object.assign(errors, planned.errors);
    if (Object.keys(errors).length > 0 || !project) return jiraError(400, [], errors);
    const issue = store.addIssue({ project: project.key, summary: String(rest.summary) });
    planned.changes.forEach((change) => change(issue));
    store.touch(issue);
    return json(201, format.createdIssue(issue));
  });

  router.on('GET', '/rest/api/3/issue/:key', withIssue((req, issue) => json(200, format.issue(issue, fieldsParam(req)))));

  router.on('PUT', '/rest/api/3/issue/:key', withIssue((req, issue) => {
    const failed = applyEdit(issue, req.body);
    if (failed) return failed;
    if (req.query.get('returnIssue') === 'true') return json(200, format.issue(issue, undefined));
    return { status: 204 };
  }));

  router.on('GET', '/rest/api/3/issue/:key/transitions', withIssue((_req, issue) => {
    const transitions = store.availableTransitions(issue).map((t) => ({
      id: t.id,
      name: t.name,
      to: format.status(store.requireStatus(t.toStatusId)),
      hasScreen: false,
      isGlobal: t.from === undefined,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
      isLooped: false,
    }));
    return json(200, { expand: 'transitions', transitions });
  }));

  router.on('POST', '/rest/api/3/issue/:key/transitions', withIssue((req, issue) => {
    const body = (req.body ?? {}) as { transition?: { id?: string | number } };
    const id = body.transition?.id === undefined ? undefined : String(body.transition.id);
    if (!id) return jiraError(400, ['Missing transition id.']);
    const transition = store.availableTransitions(issue).find((t) => t.id === id);
    if (!transition) return jiraError(400, [`Transition id '${id}' is not valid for this issue.`]);
    const { fields, update } = req.body as { fields?: unknown; update?: unknown };
    const failed = applyEdit(issue, { fields, update });
    if (failed) return failed;
    issue.statusId = transition.toStatusId;
    store.touch(issue);
    return { status: 204 };
  }));
}

import type { AdfNode, JiraComment, JiraCustomField, JiraIssue, JiraStatus, JiraStore, JiraUser } from './jira-state.js';

/**
 * Jira Cloud REST v3 JSON shapes for the emulator's records: issues with a
 * `fields` selection, statuses with their category, users, comments, fields.
 */

const CATEGORY: Record<JiraStatus['category'], { id: number; name: string; colorName: string }> = {
  new: { id: 2, name: 'To Do', colorName: 'blue-gray' },
  indeterminate: { id: 4, name: 'In Progress', colorName: 'yellow' },
  done: { id: 3, name: 'Done', colorName: 'green' },
};

export const SYSTEM_FIELDS: { id: string; name: string; schema: Record<string, unknown>; clauseNames: string[] }[] = [
  { id: 'summary', name: 'Summary', schema: { type: 'string', system: 'summary' }, clauseNames: ['summary'] },
  { id: 'description', name: 'Description', schema: { type: 'string', system: 'description' }, clauseNames: ['description'] },
  { id: 'status', name: 'Status', schema: { type: 'status', system: 'status' }, clauseNames: ['status'] },
  { id: 'labels', name: 'Labels', schema: { type: 'array', items: 'string', system: 'labels' }, clauseNames: ['labels'] },
  { id: 'assignee', name: 'Assignee', schema: { type: 'user', system: 'assignee' }, clauseNames: ['assignee'] },
  { id: 'reporter', name: 'Reporter', schema: { type: 'user', system: 'reporter' }, clauseNames: ['reporter'] },
  { id: 'project', name: 'Project', schema: { type: 'project', system: 'project' }, clauseNames: ['project'] },
  { id: 'issuetype', name: 'Issue Type', schema: { type: 'issuetype', system: 'issuetype' }, clauseNames: ['issuetype', 'type'] },
  { id: 'created', name: 'Created', schema: { type: 'datetime', system: 'created' }, clauseNames: ['created', 'createdDate'] },
  { id: 'updated', name: 'Updated', schema: { type: 'datetime', system: 'updated' }, clauseNames: ['updated', 'updatedDate'] },
  { id: 'comment', name: 'Comment', schema: { type: 'comments-page', system: 'comment' }, clauseNames: ['comment'] },
];

/** Jira's timestamp format: `2024-05-01T10:00:00.000+0000`. */
export function jiraDate(iso: string): string {
  return iso.replace(/Z$/, '+0000');
}

export class JiraFormatter {
  constructor(
    private readonly store: JiraStore,
    private readonly baseUrl: () => string,
  ) {}

  /** `POST /rest/api/3/issue`'s answer (Jira's CreatedIssue). */
  createdIssue(issue: JiraIssue): Record<string, unknown> {
    return { id: issue.id, key: issue.key, self: `${this.baseUrl()}/rest/api/3/issue/${issue.id}` };
  }

  user(user: JiraUser | undefined): Record<string, unknown> | null {
    if (!user) return null;
    return {
      self: `${this.baseUrl()}/rest/api/3/user?accountId=${user.accountId}`,
      accountId: user.accountId,
      accountType: user.accountType,
      ...(user.hideEmail ? {} : { emailAddress: user.emailAddress }),
      displayName: user.displayName,
      active: user.active,
      timeZone: 'UTC',
      avatarUrls: {},
    };
  }

  status(status: JiraStatus): Record<string, unknown> {
    const category = CATEGORY[status.category];
    return {
      self: `${this.baseUrl()}/rest/api/3/status/${status.id}`,
      description: '',
      iconUrl: '',
      name: status.name,
      id: status.id,
      statusCategory: {
        self: `${this.baseUrl()}/rest/api/3/statuscategory/${category.id}`,
        id: category.id,
        key: status.category,
        colorName: category.colorName,
        name: category.name,
      },
    };
  }

  customFieldValue(field: JiraCustomField, raw: string | null | undefined): unknown {
    if (raw === null || raw === undefined) return null;
    if (field.type === 'text') return raw;
    const option = field.options.find((o) => o.id === raw);
    return option ? { self: `${this.baseUrl()}/rest/api/3/customFieldOption/${option.id}`, value: option.value, id: option.id } : null;
  }

  /** Every field of the issue by id, before the `fields` selection is applied. */
  allFields(issue: JiraIssue): Record<string, unknown> {
    const project = this.store.site.projects.find((p) => p.id === issue.projectId);
    const status = this.store.site.statuses.find((s) => s.id === issue.statusId);
    const comments = this.store.site.comments.filter((c) => c.issueId === issue.id);
    const fields: Record<string, unknown> = {
      summary: issue.summary,
      description: issue.description,
      status: status ? this.status(status) : null,
      labels: [...issue.labels],
      assignee: this.user(issue.assigneeId ? this.store.findUser(issue.assigneeId) : undefined),
      reporter: this.user(issue.reporterId ? this.store.findUser(issue.reporterId) : undefined),
      project: project ? { self: `${this.baseUrl()}/rest/api/3/project/${project.id}`, id: project.id, key: project.key, name: project.name, projectTypeKey: 'software' } : null,
      issuetype: { id: '10001', name: issue.issueType, subtask: false },
      created: jiraDate(issue.created),
      updated: jiraDate(issue.updated),
      comment: { comments: comments.map((c) => this.comment(c)), maxResults: comments.length, total: comments.length, startAt: 0 },
    };
    for (const field of this.store.site.customFields) fields[field.id] = this.customFieldValue(field, issue.custom[field.id]);
    return fields;
  }

  /**
   * The issue as `GET /issue` and search answer it. `fields` follows Jira:
   * ids or names, `*all`, `*navigable`, and `-id` exclusions.
   */
  issue(issue: JiraIssue, fields: string[] | undefined): Record<string, unknown> {
    const all = this.allFields(issue);
    const selected = selectFields(all, fields, (ref) => this.resolveFieldId(ref));
    const out: Record<string, unknown> = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.baseUrl()}/rest/api/3/issue/${issue.id}`,
      key: issue.key,
    };
    if (selected) out.fields = selected;
    return out;
  }

  resolveFieldId(ref: string): string | undefined {
    const system = SYSTEM_FIELDS.find((f) => f.id === ref.toLowerCase() || f.name.toLowerCase() === ref.toLowerCase());
    if (system) return system.id;
    return this.store.findCustomField(ref)?.id;
  }

  /** With `properties`, the comment's entity properties too, as `expand=properties` asks. */
  comment(comment: JiraComment, expand: { properties?: boolean } = {}): Record<string, unknown> {
    const author = this.user(this.store.findUser(comment.authorId));
    const issue = this.store.site.issues.find((i) => i.id === comment.issueId);
    const properties = Object.entries(comment.properties).map(([key, value]) => ({ key, value: structuredClone(value) }));
    return {
      self: `${this.baseUrl()}/rest/api/3/issue/${issue?.id ?? comment.issueId}/comment/${comment.id}`,
      id: comment.id,
      author,
      body: comment.body,
      updateAuthor: author,
      created: jiraDate(comment.created),
      updated: jiraDate(comment.updated),
      jsdPublic: true,
      ...(expand.properties ? { properties } : {}),
    };
  }

  fieldList(): Record<string, unknown>[] {
    const system = SYSTEM_FIELDS.map((f) => ({
      id: f.id,
      key: f.id,
      name: f.name,
      custom: false,
      orderable: true,
      navigable: true,
      searchable: true,
      clauseNames: f.clauseNames,
      schema: f.schema,
    }));
    const custom = this.store.site.customFields.map((f) => ({
      id: f.id,
      key: f.id,
      name: f.name,
      custom: true,
      orderable: true,
      navigable: true,
      searchable: true,
      clauseNames: [`cf[${f.numericId}]`, f.name],
      schema:
        f.type === 'select'
          ? { type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select', customId: f.numericId }
          : { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield', customId: f.numericId },
    }));
    return [...system, ...custom];
  }
}

function selectFields(
  all: Record<string, unknown>,
  fields: string[] | undefined,
  resolve: (ref: string) => string | undefined,
): Record<string, unknown> | undefined {
  const requested = (fields ?? ['*all']).flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== '');
  const include = new Set<string>();
  const exclude = new Set<string>();
  let everything = false;
  for (const ref of requested) {
    if (ref === '*all' || ref === '*navigable') everything = true;
    else if (ref.startsWith('-')) {
      const id = resolve(ref.slice(1));
      if (id) exclude.add(id);
    } else {
      const id = resolve(ref);
      if (id) include.add(id);
    }
  }
  if (!everything && include.size === 0) return requested.includes('id') || requested.includes('key') ? undefined : {};
  const out: Record<string, unknown> = {};
  for (const [id, value] of Object.entries(all)) {
    if ((everything || include.has(id)) && !exclude.has(id)) out[id] = value;
  }
  return out;
}

/** The plain text of an ADF document, for `~` searches. */
export function adfText(node: AdfNode | null | undefined): string {
  if (!node) return '';
  if (typeof node.text === 'string') return node.text;
  return (node.content ?? []).map((child) => adfText(child)).join(node.type === 'doc' ? '\n' : ' ');
}

export function isAdfDocument(value: unknown): value is AdfNode {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as AdfNode;
  return doc.type === 'doc' && doc.version === 1 && Array.isArray(doc.content);
}

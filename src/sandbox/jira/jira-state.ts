/**
 * The Jira emulator's site: plain records that tests seed and inspect. Ids
 * are numeric strings as on Jira Cloud; custom fields are `customfield_<n>`.
 */

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';
export type CustomFieldType = 'select' | 'text';

/** An Atlassian Document Format node (the emulator keeps it verbatim). */
export interface AdfNode {
  type: string;
  version?: number;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: AdfNode[];
}

export interface JiraStatus {
  id: string;
  name: string;
  category: StatusCategoryKey;
}

export interface JiraUser {
  accountId: string;
  displayName: string;
  emailAddress: string;
  accountType: 'atlassian' | 'app';
  active: boolean;
  /** Basic-auth API token; users without one cannot call the API. */
  apiToken?: string;
  /** The user's profile visibility hides their email: Jira then leaves `emailAddress` out of user objects. */
  hideEmail?: boolean;
}

export interface JiraProject {
  id: string;
  key: string;
  name: string;
}

export interface JiraFieldOption {
  id: string;
  value: string;
  disabled: boolean;
}

export interface JiraCustomField {
  id: string;
  numericId: number;
  name: string;
  type: CustomFieldType;
  contextId: string;
  options: JiraFieldOption[];
}

export interface JiraTransition {
  id: string;
  name: string;
  toStatusId: string;
  /** Status ids the transition is available from; global when unset. */
  from?: string[];
}

export interface JiraIssue {
  id: string;
  key: string;
  projectId: string;
  issueType: string;
  summary: string;
  description: AdfNode | null;
  statusId: string;
  labels: string[];
  assigneeId: string | null;
  reporterId: string | null;
  created: string;
  updated: string;
  /** By custom field id: an option id for select fields, a string for text fields. */
  custom: Record<string, string | null>;
}

export interface JiraComment {
  id: string;
  issueId: string;
  body: AdfNode;
  authorId: string;
  created: string;
  updated: string;
  /** Comment entity properties by key (`/rest/api/3/comment/{id}/properties/{key}`). */
  properties: Record<string, unknown>;
}

export interface JiraSite {
  statuses: JiraStatus[];
  transitions: JiraTransition[];
  users: JiraUser[];
  projects: JiraProject[];
  customFields: JiraCustomField[];
  issues: JiraIssue[];
  comments: JiraComment[];
}

export const AI_STATUS_OPTIONS = ['Ready', 'Plan Approved', 'Planning', 'Implementing', 'PR Ready', 'Failed', 'Needs Human', 'Paused'];

export interface IssueSeed {
  project: string;
  summary: string;
  /** Plain text becomes a one-paragraph ADF document. */
  description?: string | AdfNode | null;
  /** Status name; defaults to the first `new` status. */
  status?: string;
  labels?: string[];
  /** accountId or email. */
  assignee?: string | null;
  /** By custom field name or id: select fields take the option value, text fields the text. */
  custom?: Record<string, string | null>;
  created?: string;
  updated?: string;
}

export function textToAdf(text: string): AdfNode {
  return { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
}

export class JiraStore {
  readonly site: JiraSite = { statuses: [], transitions: [], users: [], projects: [], customFields: [], issues: [], comments: [] };
  private nextId = 10_000;

  constructor(private readonly now: () => Date) {}

  newId(): string {
    this.nextId += 1;
    return String(this.nextId);
  }

  stamp(): string {
    return this.now().toISOString();
  }

  addStatus(name: string, category: StatusCategoryKey): JiraStatus {
    const status = { id: this.newId(), name, category };
    this.site.statuses.push(status);
    return status;
  }

  /** A transition to `toStatus` (name), available from every status unless `from` names some. */
  addTransition(name: string, toStatus: string, from?: string[]): JiraTransition {
    const transition: JiraTransition = { id: String((this.site.transitions.length + 1) * 10 + 1), name, toStatusId: this.requireStatus(toStatus).id };
    if (from) transition.from = from.map((s) => this.requireStatus(s).id);
    this.site.transitions.push(transition);
    return transition;
  }

  addUser(seed: { displayName: string; emailAddress: string; apiToken?: string; accountType?: 'atlassian' | 'app'; hideEmail?: boolean }): JiraUser {
    const user: JiraUser = {
      accountId: `5b10a2844c20165700ede${String(this.site.users.length + 1).padStart(3, '0')}`,
      displayName: seed.displayName,
      emailAddress: seed.emailAddress,
      accountType: seed.accountType ?? 'atlassian',
      active: true,
    };
    if (seed.apiToken) user.apiToken = seed.apiToken;
    if (seed.hideEmail) user.hideEmail = true;
    this.site.users.push(user);
    return user;
  }

  addProject(key: string, name?: string): JiraProject {
    const project = { id: this.newId(), key, name: name ?? key };
    this.site.projects.push(project);
    return project;
  }

  addCustomField(seed: { name: string; type: CustomFieldType; options?: string[]; numericId?: number }): JiraCustomField {
    const numericId = seed.numericId ?? 10_040 + this.site.customFields.length;
    const field: JiraCustomField = {
      id: `customfield_${numericId}`,
      numericId,
      name: seed.name,
      type: seed.type,
      contextId: this.newId(),
      options: (seed.options ?? []).map((value) => ({ id: this.newId(), value, disabled: false })),
    };
    this.site.customFields.push(field);
    return field;
  }

  addIssue(seed: IssueSeed): JiraIssue {
    const project = this.requireProject(seed.project);
    const number = this.site.issues.filter((i) => i.projectId === project.id).length + 1;
    const status = seed.status ? this.requireStatus(seed.status) : this.site.statuses.find((s) => s.category === 'new');
    if (!status) throw new Error('Jira emulator: no statuses defined');
    const created = seed.created ?? this.stamp();
    const description = seed.description === undefined || seed.description === null ? null : typeof seed.description === 'string' ? textToAdf(seed.description) : seed.description;
    const issue: JiraIssue = {
      id: this.newId(),
      key: `${project.key}-${number}`,
      projectId: project.id,
      issueType: 'Task',
      summary: seed.summary,
      description,
      statusId: status.id,
      labels: [...(seed.labels ?? [])],
      assigneeId: seed.assignee ? this.requireUser(seed.assignee).accountId : null,
      reporterId: this.site.users[0]?.accountId ?? null,
      created,
      updated: seed.updated ?? created,
      custom: {},
    };
    for (const [nameOrId, value] of Object.entries(seed.custom ?? {})) {
      const field = this.requireCustomField(nameOrId);
      issue.custom[field.id] = value === null ? null : field.type === 'select' ? this.requireOption(field, value).id : value;
    }
    this.site.issues.push(issue);
    return issue;
  }

  addComment(issueKey: string, body: AdfNode | string, authorId?: string, properties: Record<string, unknown> = {}): JiraComment {
    const stamp = this.stamp();
    const comment: JiraComment = {
      id: this.newId(),
      issueId: this.requireIssue(issueKey).id,
      body: typeof body === 'string' ? textToAdf(body) : body,
      authorId: authorId ?? this.site.users[0]?.accountId ?? 'unknown',
      created: stamp,
      updated: stamp,
      properties: structuredClone(properties),
    };
    this.site.comments.push(comment);
    return comment;
  }

  findStatus(nameOrId: string): JiraStatus | undefined {
    const lower = nameOrId.toLowerCase();
    return this.site.statuses.find((s) => s.id === nameOrId || s.name.toLowerCase() === lower);
  }

  requireStatus(nameOrId: string): JiraStatus {
    const status = this.findStatus(nameOrId);
    if (!status) throw new Error(`Jira emulator: no status ${nameOrId}`);
    return status;
  }

  findProject(keyIdOrName: string): JiraProject | undefined {
    const lower = keyIdOrName.toLowerCase();
    return this.site.projects.find((p) => p.id === keyIdOrName || p.key.toLowerCase() === lower || p.name.toLowerCase() === lower);
  }

  requireProject(keyIdOrName: string): JiraProject {
    const project = this.findProject(keyIdOrName);
    if (!project) throw new Error(`Jira emulator: no project ${keyIdOrName}`);
    return project;
  }

  findUser(accountIdEmailOrName: string): JiraUser | undefined {
    const lower = accountIdEmailOrName.toLowerCase();
    return this.site.users.find(
      (u) => u.accountId === accountIdEmailOrName || u.emailAddress.toLowerCase() === lower || u.displayName.toLowerCase() === lower,
    );
  }

  requireUser(accountIdOrEmail: string): JiraUser {
    const user = this.findUser(accountIdOrEmail);
    if (!user) throw new Error(`Jira emulator: no user ${accountIdOrEmail}`);
    return user;
  }

  /** By `customfield_10042`, `cf[10042]`, `10042` or name (case-insensitive). */
  findCustomField(ref: string): JiraCustomField | undefined {
    const cf = /^cf\[(\d+)\]$/i.exec(ref);
    const lower = ref.toLowerCase();
    return this.site.customFields.find(
      (f) => f.id === ref || (cf !== null && String(f.numericId) === cf[1]) || String(f.numericId) === ref || f.name.toLowerCase() === lower,
    );
  }

  requireCustomField(ref: string): JiraCustomField {
    const field = this.findCustomField(ref);
    if (!field) throw new Error(`Jira emulator: no custom field ${ref}`);
    return field;
  }

  findOption(field: JiraCustomField, valueOrId: string): JiraFieldOption | undefined {
    const lower = valueOrId.toLowerCase();
    return field.options.find((o) => o.id === valueOrId || o.value.toLowerCase() === lower);
  }

  requireOption(field: JiraCustomField, valueOrId: string): JiraFieldOption {
    const option = this.findOption(field, valueOrId);
    if (!option) throw new Error(`Jira emulator: ${field.name} has no option ${valueOrId}`);
    return option;
  }

  /** By key (case-insensitive) or id. */
  findIssue(keyOrId: string): JiraIssue | undefined {
    const upper = keyOrId.toUpperCase();
    return this.site.issues.find((i) => i.id === keyOrId || i.key === upper);
  }

  requireIssue(keyOrId: string): JiraIssue {
    const issue = this.findIssue(keyOrId);
    if (!issue) throw new Error(`Jira emulator: no issue ${keyOrId}`);
    return issue;
  }

  /** The value of a custom field as text: the option value for selects. */
  customValue(issue: JiraIssue, fieldRef: string): string | null {
    const field = this.requireCustomField(fieldRef);
    const raw = issue.custom[field.id] ?? null;
    if (raw === null) return null;
    return field.type === 'select' ? (field.options.find((o) => o.id === raw)?.value ?? null) : raw;
  }

  availableTransitions(issue: JiraIssue): JiraTransition[] {
    return this.site.transitions.filter((t) => t.toStatusId !== issue.statusId && (!t.from || t.from.includes(issue.statusId)));
  }

  touch(issue: JiraIssue): void {
    const stamp = this.stamp();
    issue.updated = stamp > issue.updated ? stamp : new Date(Date.parse(issue.updated) + 1).toISOString();
  }
}

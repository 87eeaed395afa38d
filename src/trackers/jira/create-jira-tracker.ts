import { Version3Client } from 'jira.js';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { WorkItem, WorkMarker } from '../../domain/work-item.js';
import type { Candidate, CommentRef, IssueTracker, NewTicket, TrackerScope, TransitionTarget } from '../issue-tracker.js';
import { markdownToAdf } from './jira-adf.js';
import { createSerializeByKey } from '../serialize-by-key.js';
import { ensureJiraComment } from './jira-ensure-comment.js';
import { invalidAnswer, toTrackerError } from './jira-errors.js';
import { buildCandidateJql, quoteJql, splitOrderBy } from './jira-jql.js';
import {
  DEFAULT_JIRA_STATUS_VALUES,
  DEFAULT_READY_VALUE,
  DEFAULT_TRIGGER_VALUES,
  fieldListSchema,
  fieldText,
  issueSchema,
  searchPageSchema,
  toWorkItem,
  transitionsSchema,
  type JiraStatusValues,
} from './jira-work-item.js';
import { isAtTarget, pickTransition } from './pick-transition.js';
import { resolveFieldIds, type ResolvedFields } from './resolve-field-ids.js';

export interface JiraTrackerOptions {
  /** Site base URL, e.g. https://acme.atlassian.net (the sandbox passes the emulator's). */
  host: string;
  email: string;
  apiToken: string;
  /** Pin the custom field ids instead of looking them up by name. */
  fieldIds?: { status?: string; repo?: string };
  /** "AI-Implement Status" value per marker; see README for the defaults. */
  statusValues?: Partial<JiraStatusValues>;
  /** The value `removeMarker` restores (default "Ready"). */
  readyValue?: string;
  /** Values that make a ticket a candidate (default "Ready", "Plan Approved"). */
  triggerValues?: string[];
  log?: Logger;
  now?: () => number;
}

type JiraScope = Extract<TrackerScope, { kind: 'jira' }>;

const SEARCH_PAGE_SIZE = 100;
const ITEM_FIELDS = ['summary', 'description', 'status', 'labels', 'assignee', 'project', 'created', 'updated', 'issuelinks'];

export function createJiraTracker(options: JiraTrackerOptions): IssueTracker {
  return new JiraTracker(options);
}

class JiraTracker implements IssueTracker {
  readonly kind = 'jira' as const;
  private readonly client: Version3Client;
  private readonly statusValues: JiraStatusValues;
  private readonly readyValue: string;
  private readonly triggerValues: string[];
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private fields: Promise<ResolvedFields> | undefined;
  /** Writes of one comment (ticket + key) from this adapter, one at a time. */
  private readonly serialize = createSerializeByKey();

  constructor(private readonly options: JiraTrackerOptions) {
    this.client = new Version3Client({ host: options.host, authentication: { basic: { email: options.email, apiToken: options.apiToken } } });
    this.statusValues = { ...DEFAULT_JIRA_STATUS_VALUES, ...options.statusValues };
    this.readyValue = options.readyValue ?? DEFAULT_READY_VALUE;
    this.triggerValues = options.triggerValues ?? DEFAULT_TRIGGER_VALUES;
    this.now = options.now ?? Date.now;
    this.log = options.log?.child({ component: 'jira-tracker' });
  }

  async listCandidates(scopes: readonly TrackerScope[]): Promise<Candidate[]> {
    if (!scopes.some((s) => s.kind === 'jira')) return [];
    const fields = await this.resolvedFields();
    const byId = new Map<string, Candidate>();
    for (const scope of scopes) {
      if (scope.kind !== 'jira') continue;
      for (const item of await this.searchScope(scope, fields)) {
        const existing = byId.get(item.id);
        if (existing) existing.mappingKeys.push(scope.mappingKey);
        else byId.set(item.id, { item, mappingKeys: [scope.mappingKey] });
      }
    }
    this.log?.debug({ candidates: byId.size }, 'jira candidates listed');
    return [...byId.values()];
  }

  async getCandidate(idOrIdentifier: string, scopes: readonly TrackerScope[]): Promise<Candidate | undefined> {
    // Each scope's own search narrowed to the one key: eligibility is decided by the same JQL as a poll.
    // Webhooks name the key; a numeric id is resolved to it first.
    const key = /^\d+$/.test(idOrIdentifier) ? (await this.getItem(idOrIdentifier))?.identifier : idOrIdentifier;
    if (!key) return undefined;
    const clause = `key = ${quoteJql(key)}`;
    const narrowed = scopes
      .filter((s): s is JiraScope => s.kind === 'jira')
      .map((s) => ({ ...s, jql: `(${splitOrderBy(s.jql).where}) AND ${clause}` }));
    const found = await this.listCandidates(narrowed);
    return found[0];
  }

  async getItem(idOrIdentifier: string): Promise<WorkItem | undefined> {
    const fields = await this.resolvedFields();
    try {
      const issue = await this.call(
        () => this.client.issues.getIssue({ issueIdOrKey: idOrIdentifier, fields: this.itemFields(fields) }),
        issueSchema,
      );
      return this.toItem(issue, fields);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async searchItems(text: string, limit: number): Promise<WorkItem[]> {
    const fields = await this.resolvedFields();
    const page = await this.call(
      () =>
        this.client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
          jql: `summary ~ ${quoteJql(text)} ORDER BY created DESC`,
          fields: this.itemFields(fields),
          maxResults: limit,
        }),
      searchPageSchema,
    );
    const byTitle = (page.issues ?? []).map((issue) => this.toItem(issue, fields));
    const exact = /^[A-Za-z][A-Za-z0-9_]*-\d+$/.test(text) ? await this.getItem(text.toUpperCase()) : undefined;
    return exact ? [exact, ...byTitle.filter((i) => i.id !== exact.id)].slice(0, limit) : byTitle;
  }

  async addMarker(item: WorkItem, marker: WorkMarker): Promise<void> {
    await this.setStatusValue(item, this.statusValues[marker]);
  }

  async removeMarker(item: WorkItem, marker: WorkMarker): Promise<void> {
    const wanted = this.statusValues[marker].toLowerCase();
    // Only undo our own mark: a value someone else set since is left alone.
    const current = await this.currentStatusValue(item);
    if (current?.toLowerCase() === wanted) await this.setStatusValue(item, this.readyValue, current);
  }

  async transition(item: WorkItem, target: TransitionTarget, stateName?: string): Promise<void> {
    const issue = await this.call(() => this.client.issues.getIssue({ issueIdOrKey: item.id, fields: ['status'] }), issueSchema);
    if (isAtTarget(issue.fields.status, target, stateName)) return;
    const { transitions } = await this.call(() => this.client.issues.getTransitions({ issueIdOrKey: item.id }), transitionsSchema);
    const chosen = pickTransition(transitions ?? [], target, stateName);
    if (!chosen) {
      throw new ValidationError(
        `Jira issue ${item.identifier} has no transition to ${stateName ? `"${stateName}"` : target} from "${issue.fields.status?.name ?? '?'}"`,
        'stateName',
      );
    }
    await this.call(() => this.client.issues.doTransition({ issueIdOrKey: item.id, transition: { id: chosen.id } }));
    this.log?.info({ issue: item.identifier, target, status: chosen.to?.name }, 'jira issue transitioned');
  }

  ensureComment(item: WorkItem, key: string, body: string): Promise<CommentRef> {
    return this.serialize(`${item.id}\n${key}`, () => ensureJiraComment(this.client, (send, schema) => this.call(send, schema), item, key, body));
  }

  async createTicket(scope: TrackerScope, ticket: NewTicket): Promise<WorkItem> {
    if (scope.kind !== 'jira') throw new ValidationError(`the Jira tracker cannot open a ticket in a ${scope.kind} scope`, 'mapping');
    const projectKey = projectKeyOf(scope.jql);
    if (!projectKey) throw new ValidationError(`jira.jql: name one project in the JQL (e.g. "project = OPS") so a schedule knows where to open its ticket`, 'jira.jql');
    const fields = await this.resolvedFields();
    const value = (field: { kind: 'select' | 'text' }, text: string) => (field.kind === 'select' ? { value: text } : text);
    const created = await this.call(
      () =>
        this.client.issues.createIssue({
          fields: {
            project: { key: projectKey },
            issuetype: { name: 'Task' },
            summary: ticket.title,
            description: markdownToAdf(ticket.description),
            // Eligible as the candidate search reads it: this scope's repository, and ready.
            [fields.repo.id]: value(fields.repo, scope.repoFieldValue),
            [fields.status.id]: value(fields.status, this.readyValue),
          } as never,
        }),
      createdIssueSchema,
    );
    const item = await this.getItem(created.key);
    if (!item) throw invalidAnswer('a created issue that cannot be read back', created.key);
    this.log?.info({ issue: item.identifier }, 'jira issue created');
    return item;
  }

  private async searchScope(scope: JiraScope, fields: ResolvedFields): Promise<WorkItem[]> {
    const jql = buildCandidateJql({
      scopeJql: scope.jql,
      statusFieldId: fields.status.id,
      triggerValues: this.triggerValues,
      repoFieldId: fields.repo.id,
      repoValue: scope.repoFieldValue,
      repoFieldKind: fields.repo.kind,
    });
    const items: WorkItem[] = [];
    let nextPageToken: string | undefined;
    do {
      const page: z.infer<typeof searchPageSchema> = await this.call(
        () =>
          this.client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
            jql,
            fields: this.itemFields(fields),
            maxResults: SEARCH_PAGE_SIZE,
            nextPageToken,
          }),
        searchPageSchema,
      );
      for (const issue of page.issues ?? []) {
        const item = this.toItem(issue, fields);
        // `~` on a text field matches words, so the exact repo value is checked here.
        if (item.repoFieldValue !== scope.repoFieldValue) continue;
        if (item.lifecycle === 'completed' || item.lifecycle === 'canceled') continue;
        items.push(item);
      }
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken);
    return items;
  }

  private async currentStatusValue(item: WorkItem): Promise<string | undefined> {
    const fields = await this.resolvedFields();
    const issue = await this.call(() => this.client.issues.getIssue({ issueIdOrKey: item.id, fields: [fields.status.id] }), issueSchema);
    return fieldText(issue.fields[fields.status.id]);
  }

  private async setStatusValue(item: WorkItem, value: string, known?: string): Promise<void> {
    const fields = await this.resolvedFields();
    const current = known ?? (await this.currentStatusValue(item));
    // Skipping an unchanged value avoids a no-op edit (and the webhook it would fire).
    if (current === value) return;
    const raw = fields.status.kind === 'select' ? { value } : value;
    await this.call(() => this.client.issues.editIssue({ issueIdOrKey: item.id, fields: { [fields.status.id]: raw } }));
    this.log?.info({ issue: item.identifier, aiStatus: value }, 'jira ai status set');
  }

  private itemFields(fields: ResolvedFields): string[] {
    return [...ITEM_FIELDS, fields.status.id, fields.repo.id];
  }

  private toItem(issue: z.infer<typeof issueSchema>, fields: ResolvedFields): WorkItem {
    return toWorkItem(issue, { host: this.options.host, fieldIds: { status: fields.status.id, repo: fields.repo.id }, statusValues: this.statusValues });
  }

  /** Field ids are looked up once per adapter; a failed lookup is retried next time. */
  private resolvedFields(): Promise<ResolvedFields> {
    if (!this.fields) {
      const pending = this.call(() => this.client.issueFields.getFields(), fieldListSchema).then((list) => resolveFieldIds(list, this.options.fieldIds));
      pending.catch(() => {
        if (this.fields === pending) this.fields = undefined;
      });
      this.fields = pending;
    }
    return this.fields;
  }

  private async call<T>(send: () => Promise<unknown>, schema?: z.ZodType<T>): Promise<T> {
    let data: unknown;
    try {
      data = await send();
    } catch (error) {
      throw toTrackerError(error, this.now);
    }
    if (!schema) return data as T;
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw invalidAnswer('a request', parsed.error);
    return parsed.data;
  }
}

const createdIssueSchema = z.object({ id: z.string(), key: z.string() });

/** The project a scope's JQL names first (`project = OPS`, `project in (OPS)`), where a schedule opens its tickets. */
export function projectKeyOf(jql: string): string | undefined {
  const match = /\bproject\s*(?:=\s*|in\s*\(\s*)"?([A-Za-z][A-Za-z0-9_]*)"?\s*\)?/i.exec(jql);
  return match?.[1]?.toUpperCase();
}

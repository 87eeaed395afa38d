import { LinearClient } from '@linear/sdk';
import { z } from 'zod';
import { ValidationError } from '../../errors/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { WorkItem, WorkMarker } from '../../domain/work-item.js';
import type { Candidate, CommentRef, IssueTracker, NewTicket, TrackerScope, TransitionTarget } from '../issue-tracker.js';
import { createSerializeByKey } from '../serialize-by-key.js';
import {
  ADD_LABEL_MUTATION,
  CANDIDATES_QUERY,
  ISSUE_CREATE_MUTATION,
  ISSUE_UPDATE_MUTATION,
  LABEL_CREATE_MUTATION,
  LABELS_QUERY,
  PROJECTS_QUERY,
  REMOVE_LABEL_MUTATION,
  TEAM_QUERY,
} from './linear-documents.js';
import { ensureLinearComment } from './linear-ensure-comment.js';
import { invalidAnswer, toTrackerError } from './linear-errors.js';
import {
  anySchema,
  DEFAULT_LINEAR_LABELS,
  issueCreateSchema,
  issuesPageSchema,
  labelCreateSchema,
  labelsSchema,
  markerLabel,
  projectsSchema,
  teamSchema,
  toWorkItem,
  type LinearLabelNames,
} from './linear-work-item.js';
import { pickWorkflowState, type TeamWorkflowState } from './pick-workflow-state.js';

export interface LinearTrackerOptions {
  apiKey: string;
  /** GraphQL endpoint; Linear's own when unset (the sandbox passes the emulator's). */
  apiUrl?: string;
  /** Tickets assigned to this Linear user id are eligible even without the trigger label. */
  agentUserId?: string;
  labels?: Partial<LinearLabelNames>;
  /** Issues per page of the candidates query (Linear allows up to 250). */
  pageSize?: number;
  log?: Logger;
  /** Clock for turning Linear's rate-limit reset time into a wait. */
  now?: () => number;
}

interface TeamInfo {
  id: string;
  key: string;
  states: TeamWorkflowState[];
}

const DEFAULT_PAGE_SIZE = 100;
const CLOSED_STATE_TYPES = ['completed', 'canceled'];
const IDENTIFIER = /^([A-Za-z][A-Za-z0-9_]*)-(\d+)$/;

export function createLinearTracker(options: LinearTrackerOptions): IssueTracker {
  return new LinearTracker(options);
}

class LinearTracker implements IssueTracker {
  readonly kind = 'linear' as const;
  private readonly client: LinearClient;
  private readonly labels: LinearLabelNames;
  private readonly pageSize: number;
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  /** Team workflow and id by team key; fetched once, dropped on failure. */
  private readonly teams = new Map<string, Promise<TeamInfo>>();
  /** Label ids by team id, then lower-cased label name. */
  private readonly labelIds = new Map<string, Map<string, string>>();
  /** Writes of one comment (ticket + key) from this adapter, one at a time. */
  private readonly serialize = createSerializeByKey();

  constructor(private readonly options: LinearTrackerOptions) {
    this.client = new LinearClient(options.apiUrl ? { apiKey: options.apiKey, apiUrl: options.apiUrl } : { apiKey: options.apiKey });
    this.labels = { ...DEFAULT_LINEAR_LABELS, ...options.labels };
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.now = options.now ?? Date.now;
    this.log = options.log?.child({ component: 'linear-tracker' });
  }

  async listCandidates(scopes: readonly TrackerScope[]): Promise<Candidate[]> {
    const linearScopes = scopes.filter((s): s is Extract<TrackerScope, { kind: 'linear' }> => s.kind === 'linear');
    const items = await this.queryIssues(this.candidateFilter());
    const candidates = items.map((item) => ({ item, mappingKeys: linearScopes.filter((s) => scopeMatches(s, item)).map((s) => s.mappingKey) }));
    this.log?.debug({ candidates: candidates.length, scopes: linearScopes.length }, 'linear candidates listed');
    return candidates;
  }

  async getCandidate(idOrIdentifier: string, scopes: readonly TrackerScope[]): Promise<Candidate | undefined> {
    // The candidate filter and the id together: one request, and an ineligible ticket comes back as none.
    const [item] = await this.queryIssues({ and: [this.candidateFilter(), issueFilter(idOrIdentifier)] }, 1);
    if (!item) return undefined;
    const linearScopes = scopes.filter((s): s is Extract<TrackerScope, { kind: 'linear' }> => s.kind === 'linear');
    return { item, mappingKeys: linearScopes.filter((s) => scopeMatches(s, item)).map((s) => s.mappingKey) };
  }

  async getItem(idOrIdentifier: string): Promise<WorkItem | undefined> {
    // A filtered list answers "none" for a missing issue, where `issue(id:)`
    // would raise an error we could only tell apart by its message.
    const items = await this.queryIssues(issueFilter(idOrIdentifier), 1);
    return items[0];
  }

  async searchItems(text: string, limit: number): Promise<WorkItem[]> {
    const byTitle = await this.queryIssues({ title: { containsIgnoreCase: text } }, limit);
    const exact = /^[A-Za-z][A-Za-z0-9]*-\d+$/.test(text) ? await this.getItem(text) : undefined;
    return exact ? [exact, ...byTitle.filter((i) => i.id !== exact.id)].slice(0, limit) : byTitle;
  }

  async addMarker(item: WorkItem, marker: WorkMarker): Promise<void> {
    const labelId = await this.labelId(item.teamKey, markerLabel(this.labels, marker), true);
    if (!labelId) return;
    await this.request(ADD_LABEL_MUTATION, { id: item.id, labelId }, anySchema);
  }

  async removeMarker(item: WorkItem, marker: WorkMarker): Promise<void> {
    const labelId = await this.labelId(item.teamKey, markerLabel(this.labels, marker), false);
    // No such label anywhere means no issue can carry it: nothing to remove.
    if (!labelId) return;
    await this.request(REMOVE_LABEL_MUTATION, { id: item.id, labelId }, anySchema);
  }

  async transition(item: WorkItem, target: TransitionTarget, stateName?: string): Promise<void> {
    const team = await this.team(item.teamKey);
    const state = pickWorkflowState(team.states, target, stateName);
    if (!state) {
      throw new ValidationError(
        stateName
          ? `Linear team ${team.key} has no workflow state named "${stateName}"`
          : `Linear team ${team.key} has no workflow state for ${target}`,
        'stateName',
      );
    }
    await this.request(ISSUE_UPDATE_MUTATION, { id: item.id, input: { stateId: state.id } }, anySchema);
    this.log?.info({ issue: item.identifier, target, state: state.name }, 'linear issue transitioned');
  }

  ensureComment(item: WorkItem, key: string, body: string): Promise<CommentRef> {
    return this.serialize(`${item.id}\n${key}`, () => ensureLinearComment((document, variables, schema) => this.request(document, variables, schema), item, key, body));
  }

  async createTicket(scope: TrackerScope, ticket: NewTicket): Promise<WorkItem> {
    if (scope.kind !== 'linear') throw new ValidationError(`the Linear tracker cannot open a ticket in a ${scope.kind} scope`, 'mapping');
    const team = await this.team(scope.teamKey);
    const labelNames = [this.labels.trigger, ...(scope.labelFilter && scope.labelFilter.toLowerCase() !== this.labels.trigger.toLowerCase() ? [scope.labelFilter] : [])];
    const labelIds: string[] = [];
    for (const name of labelNames) {
      const id = await this.labelId(scope.teamKey, name, true);
      if (id) labelIds.push(id);
    }
    const projectId = scope.projectFilter ? await this.projectId(scope.projectFilter) : undefined;
    const input = { teamId: team.id, title: ticket.title, description: ticket.description, labelIds, ...(projectId ? { projectId } : {}) };
    const created = await this.request(ISSUE_CREATE_MUTATION, { input }, issueCreateSchema);
    if (!created.issueCreate.issue) throw invalidAnswer('issueCreate without an issue', ticket.title);
    const item = toWorkItem(created.issueCreate.issue, this.labels);
    this.log?.info({ issue: item.identifier, team: team.key }, 'linear issue created');
    return item;
  }

  private async projectId(name: string): Promise<string> {
    const data = await this.request(PROJECTS_QUERY, { filter: { name: { eqIgnoreCase: name } } }, projectsSchema);
    const project = data.projects.nodes[0];
    if (!project) throw new ValidationError(`Linear has no project named "${name}"`, 'projectFilter');
    return project.id;
  }

  private candidateFilter(): Record<string, unknown> {
    const labelled = { labels: { some: { name: { eqIgnoreCase: this.labels.trigger } } } };
    const eligible = this.options.agentUserId ? { or: [labelled, { assignee: { id: { eq: this.options.agentUserId } } }] } : labelled;
    return { and: [eligible, { state: { type: { nin: CLOSED_STATE_TYPES } } }] };
  }

  /** Every issue matching `filter`, one request per page. */
  private async queryIssues(filter: Record<string, unknown>, limit?: number): Promise<WorkItem[]> {
    const items: WorkItem[] = [];
    let after: string | null = null;
    do {
      const page: z.infer<typeof issuesPageSchema> = await this.request(
        CANDIDATES_QUERY,
        { filter, first: limit ?? this.pageSize, after },
        issuesPageSchema,
      );
      for (const node of page.issues.nodes) items.push(toWorkItem(node, this.labels));
      after = page.issues.pageInfo.hasNextPage && limit === undefined ? (page.issues.pageInfo.endCursor ?? null) : null;
    } while (after);
    return items;
  }

  private team(teamKey: string): Promise<TeamInfo> {
    const cacheKey = teamKey.toUpperCase();
    let pending = this.teams.get(cacheKey);
    if (!pending) {
      pending = this.fetchTeam(teamKey);
      this.teams.set(cacheKey, pending);
      pending.catch(() => this.teams.delete(cacheKey));
    }
    return pending;
  }

  private async fetchTeam(teamKey: string): Promise<TeamInfo> {
    const data = await this.request(TEAM_QUERY, { filter: { key: { eqIgnoreCase: teamKey } } }, teamSchema);
    const team = data.teams.nodes[0];
    if (!team) throw new ValidationError(`Linear has no team with key ${teamKey}`, 'teamKey');
    return { id: team.id, key: team.key, states: team.states.nodes };
  }

  /**
   * The id of the team (or workspace) label named `name`, cached per team.
   * With `create`, a missing label is created as a team label; if another
   * writer created it meanwhile, the create fails and a second look finds it.
   */
  private async labelId(teamKey: string, name: string, create: boolean): Promise<string | undefined> {
    const team = await this.team(teamKey);
    const cache = this.labelIds.get(team.id) ?? new Map<string, string>();
    this.labelIds.set(team.id, cache);
    const lower = name.toLowerCase();
    const cached = cache.get(lower);
    if (cached) return cached;
    const found = await this.lookupLabel(team.id, name);
    if (found) {
      cache.set(lower, found);
      return found;
    }
    if (!create) return undefined;
    let createdId: string | undefined;
    try {
      const created = await this.request(LABEL_CREATE_MUTATION, { input: { name, teamId: team.id } }, labelCreateSchema);
      createdId = created.issueLabelCreate.issueLabel?.id;
    } catch (error) {
      const raced = await this.lookupLabel(team.id, name);
      if (!raced) throw error;
      createdId = raced;
    }
    if (!createdId) throw invalidAnswer('issueLabelCreate without a label', name);
    this.log?.info({ team: team.key, label: name }, 'linear label created');
    cache.set(lower, createdId);
    return createdId;
  }

  private async lookupLabel(teamId: string, name: string): Promise<string | undefined> {
    const data = await this.request(LABELS_QUERY, { filter: { name: { eqIgnoreCase: name } } }, labelsSchema);
    const nodes = data.issueLabels.nodes;
    // A team's own label shadows a workspace label of the same name.
    return (nodes.find((l) => l.team?.id === teamId) ?? nodes.find((l) => !l.team))?.id;
  }

  private async request<T>(document: string, variables: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    let data: unknown;
    try {
      const response = await this.client.client.rawRequest<unknown, Record<string, unknown>>(document, variables);
      data = response.data;
    } catch (error) {
      throw toTrackerError(error, this.now);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw invalidAnswer('a query', parsed.error);
    return parsed.data;
  }
}

function issueFilter(idOrIdentifier: string): Record<string, unknown> {
  const match = IDENTIFIER.exec(idOrIdentifier);
  return match ? { team: { key: { eq: (match[1] as string).toUpperCase() } }, number: { eq: Number(match[2]) } } : { id: { eq: idOrIdentifier } };
}

function scopeMatches(scope: Extract<TrackerScope, { kind: 'linear' }>, item: WorkItem): boolean {
  if (scope.teamKey.toLowerCase() !== item.teamKey.toLowerCase()) return false;
  if (scope.projectFilter && scope.projectFilter.toLowerCase() !== (item.projectName ?? '').toLowerCase()) return false;
  if (scope.labelFilter) {
    const wanted = scope.labelFilter.toLowerCase();
    if (!item.labels.some((l) => l.toLowerCase() === wanted)) return false;
  }
  return true;
}

import type { Mapping, TrackerKind } from '../domain/mapping.js';
import { PR_METADATA_PATTERN, type PrMetadata } from '../domain/runner-protocol.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import type { PullInfo } from '../github/api/pull-request-api.js';

/** The ticket a pull request works on, in the terms a run needs. */
export interface PrTicket {
  issueId: string;
  identifier: string;
  tracker: TrackerKind;
  title?: string;
}

export type PrTarget =
  | { ok: true; mapping: Mapping; ticket: PrTicket; via: 'marker' | 'branch' | 'title' }
  | { ok: false; problem: 'no-mapping' | 'no-ticket'; reason: string };

export interface ResolveDeps {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
}

const BRANCH_KEY = /^ai-implement\/([a-z][a-z0-9_]*-\d+)(?:-|$)/i;
const TITLE_KEY = /\b([A-Z][A-Z0-9_]{0,19}-\d+)\b/;

/** The hidden marker an agent PR body carries, when it is well formed. */
export function prMetadataOf(body: string): PrMetadata | undefined {
  const match = PR_METADATA_PATTERN.exec(body);
  if (!match?.[1]) return undefined;
  try {
    const meta = JSON.parse(match[1]) as Partial<PrMetadata>;
    if (typeof meta.issueId !== 'string' || typeof meta.identifier !== 'string' || typeof meta.mappingKey !== 'string') return undefined;
    return { runId: typeof meta.runId === 'string' ? meta.runId : '', issueId: meta.issueId, identifier: meta.identifier, mappingKey: meta.mappingKey };
  } catch {
    // A hand-edited, broken marker is treated as absent; the branch name may still name the ticket.
    return undefined;
  }
}

/** `ai-implement/eng-12-add-dark-mode` → `ENG-12`. */
export function identifierFromBranch(branch: string): string | undefined {
  return BRANCH_KEY.exec(branch)?.[1]?.toUpperCase();
}

export function mappingsForRepo(mappings: readonly Mapping[], owner: string, repo: string): Mapping[] {
  const o = owner.toLowerCase();
  const r = repo.toLowerCase();
  return mappings.filter((m) => m.owner.toLowerCase() === o && m.repo.toLowerCase() === r);
}

/** The ticket-key prefix a mapping's tickets carry (Linear team key; Jira project keys start the same). */
function keyPrefixOf(mapping: Mapping): string {
  return (mapping.linear?.teamKey ?? mapping.teamKey).toUpperCase();
}

/**
 * Finds the mapping and ticket a PR belongs to: the hidden metadata marker
 * first (what agent PRs carry), then the `ai-implement/<identifier>-…` branch,
 * then (only when `allowTitle`) a ticket key in the title. A marker that
 * names a mapping of another repository is not trusted: anyone can write one
 * into a PR body.
 */
export async function resolvePrTarget(deps: ResolveDeps, pull: PullInfo, options: { allowTitle: boolean }): Promise<PrTarget> {
  const candidates = mappingsForRepo(await deps.store.mappings.list(), pull.owner, pull.repo);
  if (candidates.length === 0) {
    return { ok: false, problem: 'no-mapping', reason: `no AI-Implement project maps ${pull.owner}/${pull.repo}` };
  }
  const meta = prMetadataOf(pull.body);
  if (meta) {
    const mapping = candidates.find((m) => m.teamKey === meta.mappingKey);
    if (!mapping) return { ok: false, problem: 'no-mapping', reason: `the PR names project ${meta.mappingKey}, which does not map ${pull.owner}/${pull.repo}` };
    return { ok: true, mapping, ticket: { issueId: meta.issueId, identifier: meta.identifier, tracker: mapping.trackerKind, title: pull.title }, via: 'marker' };
  }
  const fromBranch = identifierFromBranch(pull.headRef);
  const fromTitle = options.allowTitle ? TITLE_KEY.exec(pull.title)?.[1] : undefined;
  const identifier = fromBranch ?? fromTitle;
  if (!identifier) {
    return {
      ok: false,
      problem: 'no-ticket',
      reason: options.allowTitle
        ? 'the PR carries no AI-Implement metadata, its branch is not `ai-implement/<ticket>-…` and its title names no ticket key'
        : 'the PR was not opened by AI-Implement (no metadata marker, branch not `ai-implement/<ticket>-…`)',
    };
  }
  const prefix = identifier.slice(0, identifier.lastIndexOf('-'));
  const byPrefix = candidates.filter((m) => keyPrefixOf(m) === prefix);
  const mapping = byPrefix.length === 1 ? byPrefix[0] : candidates.length === 1 ? candidates[0] : undefined;
  if (!mapping) {
    return { ok: false, problem: 'no-mapping', reason: `${identifier} matches none (or several) of the projects mapping ${pull.owner}/${pull.repo}` };
  }
  const tracker = deps.trackers[mapping.trackerKind];
  if (!tracker) return { ok: false, problem: 'no-ticket', reason: `no ${mapping.trackerKind} tracker is configured to look up ${identifier}` };
  const item = await tracker.getItem(identifier);
  if (!item) return { ok: false, problem: 'no-ticket', reason: `ticket ${identifier} does not exist in ${mapping.trackerKind}` };
  return { ok: true, mapping, ticket: { issueId: item.id, identifier: item.identifier, tracker: item.tracker, title: item.title }, via: fromBranch ? 'branch' : 'title' };
}

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

const MAX_MARKERS_CHECKED = 5;
const PR_METADATA_ALL = new RegExp(PR_METADATA_PATTERN.source, `${PR_METADATA_PATTERN.flags.replace('g', '')}g`);

function metadataOf(json: string): PrMetadata | undefined {
  try {
    const meta = JSON.parse(json) as Partial<PrMetadata>;
    if (typeof meta.issueId !== 'string' || typeof meta.identifier !== 'string' || typeof meta.mappingKey !== 'string') return undefined;
    return { runId: typeof meta.runId === 'string' ? meta.runId : '', issueId: meta.issueId, identifier: meta.identifier, mappingKey: meta.mappingKey };
  } catch {
    // A hand-edited, broken marker is treated as absent; the branch name may still name the ticket.
    return undefined;
  }
}

/**
 * Every well-formed metadata marker in a PR body, last first: the runner
 * appends the real one at the end, and anything above it may have been
 * written by someone else. None of them is trusted until `verifiedMarker`
 * finds its run in the store.
 */
export function prMetadataMarkersOf(body: string): PrMetadata[] {
  const found: PrMetadata[] = [];
  for (const match of body.matchAll(PR_METADATA_ALL)) {
    const meta = match[1] ? metadataOf(match[1]) : undefined;
    if (meta) found.push(meta);
  }
  return found.reverse();
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
 * first (what agent PRs carry) once the store vouches for it, then the
 * `ai-implement/<identifier>-…` branch, then (only when `allowTitle`) a ticket
 * key in the title. Anyone who can write a PR body — or a ticket title an
 * agent copies into one — can write a marker, so a marker alone names
 * nothing: see `verifiedMarker`.
 */
export async function resolvePrTarget(deps: ResolveDeps, pull: PullInfo, options: { allowTitle: boolean }): Promise<PrTarget> {
  const candidates = mappingsForRepo(await deps.store.mappings.list(), pull.owner, pull.repo);
  if (candidates.length === 0) {
    return { ok: false, problem: 'no-mapping', reason: `no AI-Implement project maps ${pull.owner}/${pull.repo}` };
  }
  const verified = await verifiedMarker(deps.store, candidates, pull);
  if (verified) return verified;
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

/**
 * The first marker (last in the body) whose run id names a stored run of the
 * same ticket and mapping, that mapping mapping this repository, and — where
 * the run recorded them — this PR's number and branch (else a branch of the
 * run's ticket), so a marker copied from another PR of the same repository
 * names nothing either. The ticket comes from the stored run, not the marker.
 */
async function verifiedMarker(store: Store, candidates: readonly Mapping[], pull: PullInfo): Promise<PrTarget | undefined> {
  // Each marker costs a store read; a body stuffed with forgeries gets only the last few looked at (ours is the last).
  for (const meta of prMetadataMarkersOf(pull.body).slice(0, MAX_MARKERS_CHECKED)) {
    if (!meta.runId) continue;
    const run = await store.runs.getRun(meta.runId);
    if (!run || run.issueId !== meta.issueId || run.identifier !== meta.identifier || run.mappingKey !== meta.mappingKey) continue;
    const mapping = candidates.find((m) => m.teamKey === run.mappingKey);
    if (!mapping) continue;
    if (run.prNumber !== undefined && run.prNumber !== pull.number) continue;
    if (run.branch !== undefined ? run.branch !== pull.headRef : identifierFromBranch(pull.headRef) !== run.identifier.toUpperCase()) continue;
    return { ok: true, mapping, ticket: { issueId: run.issueId, identifier: run.identifier, tracker: run.tracker, title: pull.title }, via: 'marker' };
  }
  return undefined;
}

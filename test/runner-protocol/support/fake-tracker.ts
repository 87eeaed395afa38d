import type { TrackerKind } from '../../../src/domain/mapping.js';
import type { WorkItem, WorkMarker } from '../../../src/domain/work-item.js';
import { ExternalServiceError } from '../../../src/errors/index.js';
import type { Candidate, CommentRef, IssueTracker, TrackerScope, TransitionTarget } from '../../../src/trackers/issue-tracker.js';

export interface StoredComment {
  id: string;
  key: string;
  body: string;
  /** How many times the body was rewritten after creation. */
  edits: number;
}

export type TrackerOp = 'getItem' | 'addMarker' | 'removeMarker' | 'transition' | 'ensureComment';

/**
 * An in-memory ticket system that behaves like the real adapters promise:
 * idempotent markers and marker-keyed comments edited in place. Tests make
 * an operation fail with `failNext(op, times)`.
 */
export class FakeTracker implements IssueTracker {
  readonly items = new Map<string, WorkItem>();
  readonly comments = new Map<string, StoredComment[]>();
  readonly calls: Array<{ op: TrackerOp; issueId: string; detail?: string }> = [];
  readonly transitions: Array<{ issueId: string; target: TransitionTarget }> = [];
  private readonly failures = new Map<TrackerOp, number>();
  private nextId = 1;

  constructor(readonly kind: TrackerKind) {}

  addItem(partial: Partial<WorkItem> & { id: string; identifier: string }): WorkItem {
    const item: WorkItem = {
      tracker: this.kind,
      title: 'Add a dark mode toggle',
      description: 'Users want dark mode.',
      url: `https://tracker.example/${partial.identifier}`,
      lifecycle: 'started',
      stateName: 'In Progress',
      labels: [],
      markers: ['working'],
      teamKey: partial.identifier.split('-')[0] ?? 'ENG',
      blockedBy: [],
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      ...partial,
    };
    this.items.set(item.id, item);
    return item;
  }

  failNext(op: TrackerOp, times = 1): void {
    this.failures.set(op, times);
  }

  commentsOf(issueId: string): StoredComment[] {
    return this.comments.get(issueId) ?? [];
  }

  countCalls(op: TrackerOp): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  private maybeFail(op: TrackerOp): void {
    const left = this.failures.get(op) ?? 0;
    if (left <= 0) return;
    this.failures.set(op, left - 1);
    throw new ExternalServiceError(`${this.kind} is down (${op})`, { service: this.kind, retryable: true, status: 503 });
  }

  listCandidates(_scopes: readonly TrackerScope[]): Promise<Candidate[]> {
    return Promise.resolve([...this.items.values()].map((item) => ({ item, mappingKeys: [] })));
  }

  async getCandidate(idOrIdentifier: string, scopes: readonly TrackerScope[]): Promise<Candidate | undefined> {
    const found = (await this.listCandidates(scopes)).find((c) => c.item.id === idOrIdentifier || c.item.identifier === idOrIdentifier);
    return found;
  }

  async getItem(idOrIdentifier: string): Promise<WorkItem | undefined> {
    this.calls.push({ op: 'getItem', issueId: idOrIdentifier });
    this.maybeFail('getItem');
    const item = this.items.get(idOrIdentifier) ?? [...this.items.values()].find((i) => i.identifier === idOrIdentifier);
    return item ? structuredClone(item) : undefined;
  }

  async searchItems(text: string, limit: number): Promise<WorkItem[]> {
    const lower = text.toLowerCase();
    return [...this.items.values()].filter((i) => i.identifier === text || i.title.toLowerCase().includes(lower)).slice(0, limit).map((i) => structuredClone(i));
  }

  async addMarker(item: WorkItem, marker: WorkMarker): Promise<void> {
    this.calls.push({ op: 'addMarker', issueId: item.id, detail: marker });
    this.maybeFail('addMarker');
    const stored = this.items.get(item.id);
    if (stored && !stored.markers.includes(marker)) stored.markers.push(marker);
  }

  async removeMarker(item: WorkItem, marker: WorkMarker): Promise<void> {
    this.calls.push({ op: 'removeMarker', issueId: item.id, detail: marker });
    this.maybeFail('removeMarker');
    const stored = this.items.get(item.id);
    if (stored) stored.markers = stored.markers.filter((m) => m !== marker);
  }

  async transition(item: WorkItem, target: TransitionTarget): Promise<void> {
    this.calls.push({ op: 'transition', issueId: item.id, detail: target });
    this.maybeFail('transition');
    this.transitions.push({ issueId: item.id, target });
    const stored = this.items.get(item.id);
    if (stored) stored.stateName = target === 'ready-for-review' ? 'In Review' : target;
  }

  async ensureComment(item: WorkItem, key: string, body: string): Promise<CommentRef> {
    this.calls.push({ op: 'ensureComment', issueId: item.id, detail: key });
    this.maybeFail('ensureComment');
    const list = this.comments.get(item.id) ?? [];
    this.comments.set(item.id, list);
    const existing = list.find((c) => c.key === key);
    if (existing) {
      if (existing.body !== body) {
        existing.body = body;
        existing.edits++;
      }
      return { id: existing.id, created: false };
    }
    const comment: StoredComment = { id: `c${this.nextId++}`, key, body, edits: 0 };
    list.push(comment);
    return { id: comment.id, created: true };
  }
}

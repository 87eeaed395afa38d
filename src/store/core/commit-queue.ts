import type { HistoryPointer, HistoryPort, HistoryStream, HotDoc, HotPort } from './hot-doc.js';
import type { InboxState } from './inbox-state.js';

/**
 * What a mutation may do. A mutation must check its preconditions before it
 * edits anything, so that throwing leaves the state untouched.
 */
export interface Tx {
  /** The hot document; touching it makes this commit rewrite the document. */
  readonly doc: HotDoc;
  /** The inbox; its changes go to the inbox journal, not to the hot document. */
  readonly inbox: InboxState;
  /** Queue a record for a history stream; `then` runs once it is durable. */
  appendHistory(stream: HistoryStream, record: unknown, then?: (pointer: HistoryPointer) => void): void;
}

type Mutation<T> = (tx: Tx) => T;

interface Pending {
  run: Mutation<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface QueuedAppend {
  record: unknown;
  then: ((pointer: HistoryPointer) => void) | undefined;
}

export interface CommitStats {
  commits: number;
  mutations: number;
  /** Commits that rewrote the hot document (the others only appended). */
  hotWrites: number;
  /** Inbox records appended to the journal. */
  journalRecords: number;
  checkpoints: number;
  /** Journal files deleted because a snapshot covers them and nothing refers to them. */
  journalFilesReclaimed: number;
  /** Failed background checkpoints or reclaims (retried later; `inbox.purgeExpired` reports reclaim errors). */
  maintenanceFailures: number;
}

/**
 * The single writer. Mutations queue up while a commit is in flight and are
 * then applied together and made durable by one append per file (group
 * commit). Each caller's promise settles only after the commit holding its
 * change is durable.
 *
 * Order inside a commit: inbox journal and history appends + fsync first (in
 * parallel: different files), then, only if a mutation touched it, the hot
 * document. A crash between the two leaves a history record in both places,
 * which readers resolve in favour of the hot document.
 */
export class CommitQueue {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  readonly stats: CommitStats = { commits: 0, mutations: 0, hotWrites: 0, journalRecords: 0, checkpoints: 0, journalFilesReclaimed: 0, maintenanceFailures: 0 };

  constructor(
    private readonly getDoc: () => HotDoc,
    private readonly hot: HotPort,
    private readonly history: HistoryPort,
    private readonly inbox: InboxState,
    private readonly reload: () => Promise<void>,
  ) {}

  submit<T>(run: Mutation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      // Start on a later tick so every call made in this tick joins one commit.
      this.draining ??= new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
    });
  }

  /** Resolves when everything submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        await this.commit(batch);
        await this.maintain().catch(() => this.stats.maintenanceFailures++);
      }
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * Between commits, so the snapshot is a consistent cut: a checkpoint when
   * the journal is due one (only the cut waits; the snapshot is written while
   * commits go on), then a reclaim of journal files nothing needs. A failure
   * here must not fail writes that are already durable: the next commit tries
   * again.
   */
  private async maintain(): Promise<void> {
    if (this.inbox.journal.checkpointDue) {
      const { snapshotted } = await this.inbox.journal.checkpoint(this.inbox.snapshot());
      // Written while commits go on; the journal retries a failed one, and its close waits for it.
      void snapshotted.then(
        () => {
          this.stats.checkpoints++;
          this.inbox.reclaimDue = true;
        },
        () => {
          this.stats.maintenanceFailures++;
        },
      );
    }
    if (this.inbox.reclaimDue) await this.reclaimJournal();
  }

  /** Deletes journal files a snapshot covers and no live pointer refers to. */
  async reclaimJournal(): Promise<number> {
    this.inbox.reclaimDue = false;
    try {
      const removed = await this.inbox.journal.reclaim((file) => this.inbox.isReferenced(file));
      this.stats.journalFilesReclaimed += removed;
      return removed;
    } catch (error) {
      this.inbox.reclaimDue = true;
      throw error;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const doc = this.getDoc();
    const appends = new Map<HistoryStream, QueuedAppend[]>();
    let hotTouched = false;
    const tx: Tx = {
      get doc() {
        hotTouched = true;
        return doc;
      },
      inbox: this.inbox,
      appendHistory(stream, record, then) {
        const list = appends.get(stream) ?? [];
        list.push({ record, then });
        appends.set(stream, list);
      },
    };
    const outcomes: { ok: boolean; value: unknown }[] = [];
    for (const pending of batch) {
      try {
        outcomes.push({ ok: true, value: pending.run(tx) });
      } catch (error) {
        outcomes.push({ ok: false, value: error });
      }
    }
    try {
      if (outcomes.some((o) => o.ok)) {
        const records = this.inbox.pendingRecords;
        const [, historyPointers] = await Promise.all([
          this.inbox.flush(),
          Promise.all([...appends].map(([stream, list]) => this.history.append(stream, list.map((a) => a.record)))),
        ]);
        [...appends.values()].forEach((list, j) => list.forEach((a, i) => a.then?.(historyPointers[j]![i]!)));
        if (hotTouched) {
          await this.hot.save(doc);
          this.stats.hotWrites++;
        }
        this.inbox.settle();
        this.stats.journalRecords += records;
        this.stats.commits++;
        this.stats.mutations += batch.length;
      } else this.inbox.rollback();
    } catch (error) {
      // Memory holds changes that never reached disk: go back to what is
      // durable, and tell every caller in the batch it failed.
      this.inbox.rollback();
      if (hotTouched) await this.reload().catch(() => undefined);
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.value);
    });
  }
}

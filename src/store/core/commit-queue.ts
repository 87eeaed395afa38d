import type { HistoryPointer, HistoryPort, HistoryStream, HotDoc, HotPort } from './hot-doc.js';

/**
 * What a mutation may do besides editing the hot document in place. A mutation
 * must check its preconditions before it edits anything, so that throwing
 * leaves the document untouched.
 */
export interface Tx {
  readonly doc: HotDoc;
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
}

/**
 * The single writer. Mutations queue up while a commit is in flight and are
 * then applied together and made durable by one history append per stream
 * plus one hot-document write (group commit). Each caller's promise settles
 * only after the commit holding its change is durable.
 *
 * Order inside a commit: history append + fsync first, then the hot document.
 * A crash between the two leaves a record in both places, which readers
 * resolve in favour of the hot document.
 */
export class CommitQueue {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  readonly stats: CommitStats = { commits: 0, mutations: 0 };

  constructor(
    private readonly getDoc: () => HotDoc,
    private readonly hot: HotPort,
    private readonly history: HistoryPort,
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
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const doc = this.getDoc();
    const appends = new Map<HistoryStream, QueuedAppend[]>();
    const tx: Tx = {
      doc,
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
        for (const [stream, list] of appends) {
          const pointers = await this.history.append(
            stream,
            list.map((a) => a.record),
          );
          list.forEach((a, i) => a.then?.(pointers[i]!));
        }
        await this.hot.save(doc);
        this.stats.commits++;
        this.stats.mutations += batch.length;
      }
    } catch (error) {
      // The in-memory document holds changes that never reached disk: go back
      // to what is durable, and tell every caller in the batch it failed.
      await this.reload().catch(() => undefined);
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

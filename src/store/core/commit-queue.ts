import type { HistoryPointer, HistoryPort, HistoryStream, HotDoc, HotPort, PayloadPointer } from './hot-doc.js';
import type { PayloadKeeper } from './payload-keeper.js';

/**
 * What a mutation may do besides editing the hot document in place. A mutation
 * must check its preconditions before it edits anything, so that throwing
 * leaves the document untouched.
 */
export interface Tx {
  readonly doc: HotDoc;
  /** Queue a record for a history stream; `then` runs once it is durable. */
  appendHistory(stream: HistoryStream, record: unknown, then?: (pointer: HistoryPointer) => void): void;
  /** Queue payload text for the payload log; `then` runs once it is durable, before the hot document is written. */
  appendPayload(text: string, then: (pointer: PayloadPointer) => void): void;
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
  /** Bytes of payload text appended to the payload log. */
  payloadChars: number;
  /** Payload files deleted because nothing referred to them any more. */
  payloadFilesReclaimed: number;
  /** Failed background reclaims (retried later; `inbox.purgeExpired` reports them). */
  reclaimFailures: number;
}

/**
 * The single writer. Mutations queue up while a commit is in flight and are
 * then applied together and made durable by one history append per stream
 * plus one hot-document write (group commit). Each caller's promise settles
 * only after the commit holding its change is durable.
 *
 * Order inside a commit: payload-log and history appends + fsync first, then
 * the hot document. A crash between the two leaves a history record in both
 * places, which readers resolve in favour of the hot document, and payload
 * bytes nothing points to, which are reclaimed with their file.
 */
export class CommitQueue {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  readonly stats: CommitStats = { commits: 0, mutations: 0, payloadChars: 0, payloadFilesReclaimed: 0, reclaimFailures: 0 };

  constructor(
    private readonly getDoc: () => HotDoc,
    private readonly hot: HotPort,
    private readonly history: HistoryPort,
    private readonly payloads: PayloadKeeper,
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
        if (this.payloads.mayReclaim) await this.reclaimPayloads().catch(() => this.stats.reclaimFailures++);
      }
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * Deletes payload files no durable pointer refers to. Runs between commits,
   * after the hot document that dropped the pointers is durable. A failure
   * there must not fail writes that are already durable: the files stay and
   * the next reclaim tries again.
   */
  async reclaimPayloads(): Promise<number> {
    const removed = await this.payloads.reclaim();
    this.stats.payloadFilesReclaimed += removed;
    return removed;
  }

  private async commit(batch: Pending[]): Promise<void> {
    const doc = this.getDoc();
    const appends = new Map<HistoryStream, QueuedAppend[]>();
    const payloadTexts: string[] = [];
    const payloadThens: ((pointer: PayloadPointer) => void)[] = [];
    const tx: Tx = {
      doc,
      appendHistory(stream, record, then) {
        const list = appends.get(stream) ?? [];
        list.push({ record, then });
        appends.set(stream, list);
      },
      appendPayload(text, then) {
        payloadTexts.push(text);
        payloadThens.push(then);
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
        // Payloads and history go to different files, so their fsyncs overlap.
        const [payloadPointers, historyPointers] = await Promise.all([
          this.payloads.port.append(payloadTexts),
          Promise.all([...appends].map(([stream, list]) => this.history.append(stream, list.map((a) => a.record)))),
        ]);
        payloadThens.forEach((then, i) => then(payloadPointers[i]!));
        [...appends.values()].forEach((list, j) => list.forEach((a, i) => a.then?.(historyPointers[j]![i]!)));
        await this.hot.save(doc);
        this.payloads.settle();
        for (const text of payloadTexts) this.stats.payloadChars += text.length;
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

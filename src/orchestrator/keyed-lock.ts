/**
 * Serialises async work per key within this process. Settings values such as
 * a PR's pending review comments are read-modify-written, and the inbox runs
 * a batch of deliveries concurrently: two comments on one PR must not both
 * read the old list and overwrite each other. (One writer per lowdb
 * directory makes in-process locking enough; see DESIGN.md invariant 8.)
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

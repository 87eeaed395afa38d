/**
 * Runs tasks that share a key one after another; tasks with different keys
 * run freely. The adapters use it for `ensureComment`: two writes of the same
 * comment from one process then land in the order they were asked for, and
 * the second finds the first's comment instead of racing it. Other processes
 * are not covered. Each adapter's find-or-create handles those.
 */
export type SerializeByKey = <T>(key: string, task: () => Promise<T>) => Promise<T>;

export function createSerializeByKey(): SerializeByKey {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    // A failed task must not block the next one, so the tail never rejects.
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

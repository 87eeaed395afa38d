import { compareKey, type RunIndexEntry } from '../core/run-index.js';

type Entries = AsyncIterator<RunIndexEntry> | Iterator<RunIndexEntry>;

/** A source that joins the merge only once the walk reaches its newest entry. */
export interface LazySource {
  /** createdMs of its newest entry: nothing newer can come from it. */
  newestMs: number;
  open(): Entries;
}

interface Head {
  entry: RunIndexEntry;
  entries: Entries;
}

/**
 * Merges sources that are each newest first into one walk, newest first by
 * (createdAt, id). History files overlap in time only a little (a run lands
 * in the file that was open when it finished), so lazy sources, sorted by
 * their newest entry, are opened only when the walk gets down to them: a page
 * of the newest runs touches one or two files, not all of them.
 */
export async function* mergeNewestFirst(eager: Entries[], lazy: LazySource[], fromMs: number): AsyncGenerator<RunIndexEntry> {
  const heads: Head[] = [];
  const pull = async (entries: Entries) => {
    const r = await entries.next();
    if (!r.done) heads.push({ entry: r.value, entries });
  };
  const pending = [...lazy].sort((a, b) => b.newestMs - a.newestMs);
  try {
    for (const entries of eager) await pull(entries);
    for (;;) {
      let top = newest(heads);
      while (pending.length > 0 && pending[0]!.newestMs >= fromMs && (!top || pending[0]!.newestMs >= top.entry.createdMs)) {
        await pull(pending.shift()!.open());
        top = newest(heads);
      }
      if (!top) return;
      heads.splice(heads.indexOf(top), 1);
      yield top.entry;
      await pull(top.entries);
    }
  } finally {
    for (const head of heads) await head.entries.return?.();
  }
}

function newest(heads: Head[]): Head | undefined {
  let best: Head | undefined;
  for (const h of heads) if (!best || compareKey(h.entry.createdMs, h.entry.id, best.entry.createdMs, best.entry.id) > 0) best = h;
  return best;
}

import type { Clock } from '../store.js';
import { EngineStore } from '../core/engine-store.js';
import { MemoryHistory, MemoryHot, MemoryInboxJournal } from './memory-ports.js';

export interface MemoryStoreOptions {
  clock?: Clock;
  newId?: () => string;
  inboxRetentionMs?: number;
}

/** A store that lives in this process only: for unit tests and throwaway sandboxes. */
export function createMemoryStore(options: MemoryStoreOptions = {}): EngineStore {
  return new EngineStore({ ...options, hot: new MemoryHot(), history: new MemoryHistory(), journal: new MemoryInboxJournal() });
}

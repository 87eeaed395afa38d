import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { describeStoreContract, intent } from './store-contract.js';
import { describeInboxReplayContract } from './inbox-replay-contract.js';

describeStoreContract('memory', async (clock) => createMemoryStore({ clock }));
describeInboxReplayContract('memory', async (clock) => createMemoryStore({ clock }));

describe('memory store', () => {
  it('batches concurrent mutations into one commit', async () => {
    const store = createMemoryStore();
    await store.open();
    const before = store.commitStats.commits;
    await Promise.all(Array.from({ length: 32 }, (_, i) => store.runs.claimTicket(intent({ issueId: `i${i}` }))));
    expect(store.commitStats.commits - before).toBe(1);
    await store.close();
  });
});

import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { redactRunRecords } from '../../src/store/redact-run-records.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { describeStoreContract, intent } from './store-contract.js';

// The decorator is a Store like any other: it must keep the whole contract.
describeStoreContract('memory behind redactRunRecords', async (clock) => redactRunRecords(createMemoryStore({ clock }), new SecretRegistry()));

describe('run records are scrubbed on their way into the store', () => {
  it('redacts the free text of runs and steps, whoever writes it, and leaves ids alone', async () => {
    const secrets = new SecretRegistry();
    secrets.register('registered-secret-value');
    const inner = createMemoryStore();
    const store = redactRunRecords(inner, secrets);
    await store.open();
    const ghs = `ghs_${'a1B2c3D4e5'.repeat(4).slice(0, 36)}`;
    const claim = await store.runs.claimTicket(intent({ issueId: 'issue-registered-secret-value', title: 'Use registered-secret-value', instructions: `try ${ghs}` }));
    if (!claim.claimed) throw new Error('not claimed');
    const run = await store.runs.updateRun(claim.run.id, { status: 'claimed' });
    const failed = await store.runs.updateRun(run.id, { status: 'failed', failureReason: `github-actions refused the dispatch: Bad credentials ${ghs}`, failedStep: 'dispatch' });
    expect(failed.failureReason).toBe('github-actions refused the dispatch: Bad credentials [REDACTED]');
    expect(failed.title).toBe('Use [REDACTED]');
    expect(failed.instructions).toBe('try [REDACTED]');
    // An id is not free text: it stays as the tracker gave it.
    expect(failed.issueId).toBe('issue-registered-secret-value');
    expect(JSON.stringify(await inner.runs.getRun(run.id))).not.toContain(ghs);
    await store.close();
  });

  it('redacts a step’s structured output and log tail', async () => {
    const secrets = new SecretRegistry();
    secrets.register('registered-secret-value');
    const store = redactRunRecords(createMemoryStore(), secrets);
    await store.open();
    const claim = await store.runs.claimTicket(intent({ issueId: 'i1' }));
    if (!claim.claimed) throw new Error('not claimed');
    const step = await store.runs.upsertStep({ runId: claim.run.id, id: 's1', type: 'git.push', status: 'failed', output: { remote: 'https://u:registered-secret-value@x.test', exit: 1 }, logExcerpt: 'key registered-secret-value\n' });
    expect(step.output).toEqual({ remote: 'https://u:[REDACTED]@x.test', exit: 1 });
    expect(step.logExcerpt).toBe('key [REDACTED]\n');
    await store.close();
  });
});

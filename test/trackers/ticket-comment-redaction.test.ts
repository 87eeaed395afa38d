import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { createTrackers } from '../../src/trackers/create-trackers.js';

/** Every ticket comment passes the redactor at the tracker door, whoever composed it and whenever the secret was learned. */
describe('ticket comments are scrubbed as they are posted', () => {
  const linear = new LinearEmulator();
  beforeAll(() => linear.start());
  afterAll(() => linear.stop());

  it('redacts registered values and credential shapes, in new and edited comments, and passes the other calls through', async () => {
    linear.store.addTeam({ key: 'ENG' });
    const issue = linear.store.addIssue({ team: 'ENG', title: 'Deploy' });
    const secrets = new SecretRegistry();
    const trackers = createTrackers({ linear: { apiKey: linear.apiKey, apiUrl: linear.apiUrl }, redact: (text) => secrets.redact(text) });
    const tracker = trackers.linear!;
    expect(tracker.kind).toBe('linear');
    const item = await tracker.getItem(issue.identifier);
    if (!item) throw new Error('no item');
    const ghs = `ghs_${'Kp3Lm9Qr2St7'.repeat(3)}`;
    await tracker.ensureComment(item, 'run-status:r1', `Failed: ${ghs}`);
    // Learned after the first comment: the edit is scrubbed of it too.
    secrets.register('team-secret-set-later');
    await tracker.ensureComment(item, 'run-status:r1', `Failed again: ${ghs} team-secret-set-later`);
    const bodies = linear.commentsOn(issue.identifier).map((c) => c.body);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('Failed again: [REDACTED] [REDACTED]');
    expect(bodies.join('\n')).not.toContain(ghs);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { GitHubAppClient } from '../../src/github/api/github-app-client.js';
import { createPullRequestApi } from '../../src/github/api/pull-request-api.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createTestLogger } from '../support/test-logger.js';
import { auditGitHub, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

/** Pull request comments pass the redactor in the adapter, the one door every orchestrator comment goes through. */
describe('pull request comments are scrubbed as they are posted', () => {
  const emulator = new GitHubEmulator();
  const emulatorAudit = auditGitHub(emulator.server);
  beforeAll(async () => {
    await emulator.start();
    emulator.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main' });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(emulatorAudit, 'GitHub');
    expectTrueToVendor(emulatorAudit, 'GitHub');
  });

  it('redacts registered values and credential shapes, also when editing the comment in place', async () => {
    const secrets = new SecretRegistry();
    const client = new GitHubAppClient({ appId: emulator.appId, privateKey: emulator.privateKeyPem, baseUrl: emulator.gheBaseUrl, log: createTestLogger().log, registerSecret: secrets.register });
    const issue = emulator.state.addIssue('acme', 'web', 'Fix it');
    const minted = await client.repoToken('acme', 'web');
    secrets.register('global-secret-value-77');
    const api = createPullRequestApi(await client.repoOctokit('acme', 'web'), 'acme', 'web', (text) => secrets.redact(text));
    await api.ensureComment(issue.number, 'gap-fill:1', `Could not start: token ${minted} and global-secret-value-77`);
    await api.ensureComment(issue.number, 'gap-fill:1', `Still failing: Authorization: Bearer opaque-header-value`);
    const bodies = emulator.state.issueComments.map((c) => c.body).join('\n');
    expect(bodies).not.toContain(minted);
    expect(bodies).not.toContain('global-secret-value-77');
    expect(bodies).not.toContain('opaque-header-value');
    expect(bodies).toContain('Still failing: Authorization: Bearer [REDACTED]');
  });
});

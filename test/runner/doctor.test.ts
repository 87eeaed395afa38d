import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDoctorReport } from '../../src/runner/doctor-command.js';
import { runDoctor } from '../../src/runner/doctor.js';
import type { RuntimeSpec } from '../../src/runner/runtimes/runtime-table.js';

/** Stand-in CLIs: shell scripts on a PATH of their own, so this runs without the real agents. */
async function fakeBin(dir: string, name: string, body: string): Promise<void> {
  await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
  await chmod(join(dir, name), 0o755);
}

const SECRET = 'sk-test-doctor-value-0123456789';

const runtimes: RuntimeSpec[] = [
  { id: 'good', binary: 'good-cli', versionArgs: ['--version'], providers: [{ provider: 'anthropic', credentials: [['GOOD_KEY'], ['GOOD_TOKEN']], defaultModel: 'm', how: '' }] },
  // Prints what it gets in its environment: the probe must not hand it the credential.
  { id: 'leaky', binary: 'leaky-cli', versionArgs: ['-v'], providers: [{ provider: 'openai', credentials: [['GOOD_KEY']], defaultModel: 'm', how: '' }] },
  { id: 'slow', binary: 'slow-cli', versionArgs: ['--version'], providers: [{ provider: 'bedrock', credentials: [['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']], defaultModel: 'm', how: '' }] },
  { id: 'broken', binary: 'broken-cli', versionArgs: ['--version'], providers: [] },
  { id: 'absent', binary: 'absent-cli', versionArgs: ['--version'], providers: [] },
  { id: 'demo', versionArgs: [], providers: [] },
];

describe('runDoctor', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const bin = await mkdtemp(join(tmpdir(), 'doctor-bin-'));
    await fakeBin(bin, 'good-cli', 'echo "1.2.3 (Good CLI)"');
    await fakeBin(bin, 'leaky-cli', 'echo "leaky 0.1 key=${GOOD_KEY:-none}"');
    // Waits for input that never comes, in a child of its own: the whole group must die at the timeout.
    await fakeBin(bin, 'slow-cli', 'sleep 30 & wait');
    await fakeBin(bin, 'broken-cli', 'echo "cannot start: missing libfoo" >&2; exit 3');
    env = { PATH: `${bin}:/usr/bin:/bin`, GOOD_KEY: SECRET, AWS_ACCESS_KEY_ID: 'AKIAFAKE' };
  });

  it('reports versions, absent and failing CLIs, and credential names per provider', async () => {
    const started = Date.now();
    const report = await runDoctor({ env, runtimes, pins: new Map([['good-cli', '1.2.3']]), timeoutMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(6_500);
    const byId = new Map(report.runtimes.map((r) => [r.runtime, r]));
    expect(report.ok).toBe(true);
    expect([...byId.keys()]).toEqual(['good', 'leaky', 'slow', 'broken', 'absent']);
    expect(byId.get('good')).toMatchObject({ status: 'ok', version: '1.2.3 (Good CLI)', pinned: '1.2.3' });
    expect(byId.get('good')?.providers).toEqual([{ provider: 'anthropic', seen: ['GOOD_KEY'], completeSet: ['GOOD_KEY'], accepts: [['GOOD_KEY'], ['GOOD_TOKEN']] }]);
    expect(byId.get('leaky')).toMatchObject({ status: 'ok', version: 'leaky 0.1 key=none' });
    expect(byId.get('slow')).toMatchObject({ status: 'failed', detail: 'no answer to --version within 1 s' });
    expect(byId.get('slow')?.providers[0]).toMatchObject({ seen: ['AWS_ACCESS_KEY_ID'] });
    expect(byId.get('slow')?.providers[0]?.completeSet).toBeUndefined();
    expect(byId.get('broken')).toMatchObject({ status: 'failed', detail: 'exit 3: cannot start: missing libfoo' });
    expect(byId.get('absent')).toMatchObject({ status: 'not installed' });
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('prints a table of names only, and says what to do when no CLI works', async () => {
    const text = formatDoctorReport(await runDoctor({ env, runtimes: runtimes.slice(0, 2), timeoutMs: 1_000 }));
    expect(text).toMatch(/good\s+good-cli\s+1\.2\.3 \(Good CLI\)\s+-\s+ok/);
    expect(text).toMatch(/good\s+anthropic\s+GOOD_KEY\s+yes \(GOOD_KEY\)/);
    expect(text).toContain('2 of 2 agent CLIs work: good-cli, leaky-cli');
    expect(text).not.toContain(SECRET);

    const none = await runDoctor({ env, runtimes: runtimes.slice(3), timeoutMs: 1_000 });
    expect(none.ok).toBe(false);
    expect(formatDoctorReport(none)).toMatch(/No agent CLI answered its version command\. Install the pinned CLIs with `npm run agents:install`/);
  });
});

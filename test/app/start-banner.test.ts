import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';
import { startBanner } from '../../src/start-banner.js';

describe('startBanner', () => {
  const base = { adminUrl: 'http://127.0.0.1:3000/admin', dataDir: '/srv/ai-implement/data', version: '1.4.0' };

  it('in sandbox mode: the admin URL, the generated code, the data and what to try, in a few lines', () => {
    const text = startBanner({ ...base, sandbox: true, accessCode: 'generated-code-1234567', accessCodeGenerated: true });
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(7);
    expect(lines.every((l) => l.length <= 120)).toBe(true);
    expect(lines[0]).toContain('SANDBOX');
    expect(text).toMatch(/Admin:\s+http:\/\/127\.0\.0\.1:3000\/admin\n/);
    expect(text).toMatch(/Access code:\s+generated-code-1234567 {2}\(new at each start/);
    expect(text).toMatch(/Data:\s+\/srv\/ai-implement\/data\n/);
    expect(text).toMatch(/Next:\s+open the Admin URL and log in/);
  });

  it('outside the sandbox it never prints the access code, and says when there is none', () => {
    const set = startBanner({ ...base, sandbox: false, accessCode: 'operator-secret-code-99', accessCodeGenerated: false });
    expect(set).not.toContain('operator-secret-code-99');
    expect(set).toMatch(/Access code:\s+the ADMIN_ACCESS_CODE you set/);
    expect(set).not.toContain('SANDBOX');
    const none = startBanner({ ...base, sandbox: false, accessCode: undefined, accessCodeGenerated: false });
    expect(none).toMatch(/Access code:\s+none: \/admin and \/api are off until ADMIN_ACCESS_CODE is set/);
  });
});

describe('the banner at a sandbox start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-banner-'));
  let orchestrator: RunningOrchestrator | undefined;

  afterAll(async () => {
    await orchestrator?.stop();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });

  it('comes after every boot log line, and what it says is enough to log in', async () => {
    // One transcript of log lines and printed text, in the order they were written.
    const transcript: { kind: 'log' | 'print'; text: string }[] = [];
    orchestrator = await startOrchestrator({
      env: { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' },
      print: (text) => transcript.push({ kind: 'print', text }),
      logDestination: new Writable({
        write: (chunk: Buffer, _e, done) => {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) transcript.push({ kind: 'log', text: line });
          done();
        },
      }),
    });
    const last = transcript.at(-1)!;
    expect(last.kind).toBe('print');
    expect(transcript.filter((t) => t.kind === 'print')).toHaveLength(1);
    expect(transcript.some((t) => t.kind === 'log' && t.text.includes('"orchestrator started"'))).toBe(true);

    const banner = last.text;
    const adminUrl = /Admin:\s+(\S+)/.exec(banner)?.[1];
    const code = /Access code:\s+(\S+)/.exec(banner)?.[1];
    const data = /Data:\s+(.+)/.exec(banner)?.[1];
    expect(adminUrl).toBe(orchestrator.adminUrl);
    expect(data && isAbsolute(data) && existsSync(join(data, 'sandbox-git'))).toBe(true);
    const login = await fetch(adminUrl!.replace(/\/admin$/, '/api/auth'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(login.status).toBe(200);
    // The emulator addresses moved to the log, out of the banner.
    expect(banner).not.toContain(orchestrator.sandbox!.emulators.linear.apiUrl);
    expect(transcript.some((t) => t.kind === 'log' && t.text.includes(orchestrator!.sandbox!.emulators.linear.apiUrl))).toBe(true);
  });
});

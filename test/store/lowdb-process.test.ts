import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { CRASH_STORE_OPTIONS, crashPayload } from './fixtures/crash-payload.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function start(script: string, args: string[]): { child: ChildProcess; lines: string[]; waitFor: (line: string) => Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(fixtures, script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((x) => x.line === line)) w.resolve();
    }
  });
  const waitFor = (line: string) =>
    lines.includes(line)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiters.push({ line, resolve });
          child.once('exit', (code) => reject(new Error(`${script} exited ${code} before "${line}"`)));
        });
  return { child, lines, waitFor };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('lowdb store across processes', () => {
  it('refuses a second process on the same data dir with a message naming the lock', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'store-lock-'));
    dirs.push(dataDir);
    const holder = start('open-store.ts', [dataDir]);
    await holder.waitFor('ready');
    const second = start('open-store.ts', [dataDir]);
    let stderr = '';
    second.child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    expect(await exited(second.child)).toBe(3);
    expect(stderr).toContain(path.join(dataDir, '.lock'));
    expect(stderr).toContain(`pid ${holder.child.pid}`);
    holder.child.stdin!.end();
    expect(await exited(holder.child)).toBe(0);
    const third = start('open-store.ts', [dataDir]);
    await third.waitFor('ready');
    third.child.stdin!.end();
    expect(await exited(third.child)).toBe(0);
  });

  it('keeps every acknowledged write across 25 SIGKILLs', { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'store-crash-'));
    dirs.push(dataDir);
    const acked: string[] = [];
    for (let round = 0; round < 25; round++) {
      const writer = start('crash-writer.ts', [dataDir, `k${round}`]);
      await writer.waitFor('ready');
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250));
      writer.child.kill('SIGKILL');
      await exited(writer.child);
      acked.push(...writer.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4)));
    }
    expect(acked.length).toBeGreaterThan(100);
    expect(acked.filter((a) => a.startsWith('done ')).length).toBeGreaterThan(10);
    expect(acked.filter((a) => a.startsWith('lease ')).length).toBeGreaterThan(10);
    expect(acked.filter((a) => a.startsWith('failed ')).length).toBeGreaterThan(2);

    const store = createLowdbStore({ dataDir, ...CRASH_STORE_OPTIONS });
    await store.open();
    const missing: string[] = [];
    const done = new Set(acked.filter((a) => a.startsWith('done ')).map((a) => a.slice(5)));
    for (const entry of acked) {
      const [kind, key] = entry.split(' ') as [string, string];
      if (kind === 'claim' || kind === 'running' || kind === 'step' || kind === 'terminal') {
        const run = await store.runs.getRun(key);
        if (!run) missing.push(entry);
        else if (kind === 'running' && run.status === 'claimed') missing.push(entry);
        else if (kind === 'terminal' && !['succeeded', 'failed'].includes(run.status)) missing.push(entry);
        else if (kind === 'step' && !(await store.runs.listSteps(key)).some((s) => s.id === 'agent')) missing.push(entry);
        if (kind === 'terminal' && (await store.runs.listActiveRuns({ issueId: run?.issueId ?? '' })).length > 0) missing.push(`${entry} still active`);
      } else if (kind === 'inbox') {
        const d = await store.inbox.getDelivery(key);
        const [tag, n] = key.split('-d') as [string, string];
        if (!d) missing.push(entry);
        // A delivery the crashed writer leased but did not complete keeps its payload too.
        else if (d.status !== 'completed' && JSON.stringify(d.payload) !== JSON.stringify(crashPayload(tag, Number(n)))) missing.push(`${entry} payload`);
      } else if (kind === 'done') {
        if ((await store.inbox.getDelivery(key))?.status !== 'completed') missing.push(entry);
      } else if (kind === 'lease') {
        // Leased for 60 s: nobody could have taken it back since, only completed or failed it.
        const d = await store.inbox.getDelivery(key);
        if (!d || d.attempts < 1 || (d.status === 'pending' && d.lastError !== 'boom')) missing.push(entry);
        else if (d.status === 'leased' && Date.parse(d.leaseUntil ?? '') < Date.now()) missing.push(`${entry} lease lost`);
      } else if (kind === 'failed') {
        const d = await store.inbox.getDelivery(key);
        if (d?.lastError !== 'boom' || d.status === 'dead') missing.push(entry);
      } else if (kind === 'jti') {
        if (await store.tokens.consumeTokenJti(key, Date.now() + 3600_000)) missing.push(entry);
      }
    }
    expect(missing).toEqual([]);
    // The store is still consistent enough to page through everything.
    const terminal = acked.filter((a) => a.startsWith('terminal ')).length;
    expect(await store.runs.countRuns({ status: ['succeeded', 'failed'] })).toBeGreaterThanOrEqual(terminal);
    // A failed delivery is leased again, so only leases and failures may repeat.
    const once = acked.filter((a) => !a.startsWith('lease ') && !a.startsWith('failed '));
    expect(new Set(once).size).toBe(once.length);
    // Every pending delivery leases with its payload; once all are completed,
    // checkpoints leave one snapshot and only the journal files after it.
    const leased = await store.inbox.leaseDeliveries(100_000, 60_000, Date.now() + 120_000);
    expect(leased.filter((d) => d.payload === undefined).map((d) => d.id)).toEqual([]);
    expect(leased.length).toBeGreaterThan(5);
    for (const d of leased) await store.inbox.completeDelivery(d.id);
    await store.inbox.purgeExpired();
    const files = await readdir(path.join(dataDir, 'inbox'));
    const snapshots = files.filter((f) => f.endsWith('.snapshot.json'));
    expect(snapshots).toHaveLength(1);
    const firstLive = Number.parseInt(snapshots[0]!, 10);
    expect(files.filter((f) => f.endsWith('.journal') && Number.parseInt(f, 10) < firstLive)).toEqual([]);
    expect(done.size).toBeGreaterThan(0);
    await store.close();
  });
});

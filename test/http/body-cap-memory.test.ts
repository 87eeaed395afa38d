import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postChunked, postStream } from '../support/post-chunked.js';

const MiB = 1024 * 1024;

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

describe('body caps under a 100 MiB upload (separate server process)', () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/http/fixtures/webhook-cap-server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`cap server exited with ${code}`)));
      child.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(line.trim()));
    });
    // Warm the server up so one-time allocations are not counted as growth.
    for (let i = 0; i < 20; i++) await fetch(`${url}/healthz`);
  });

  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('refuses 100 MiB streamed chunked and declared with 413 while peak memory grows by only a few MiB', async () => {
    // The first large reads grow V8's young generation to its working size
    // (socket chunks die young but are collected in batches). That happens once
    // per process; what must not happen is growth per refused body.
    for (let i = 0; i < 2; i++) expect((await postChunked(`${url}/api/github/webhook`, 100 * MiB)).status).toBe(413);
    const before = peakRssMiB(child.pid!);
    for (let i = 0; i < 2; i++) {
      const chunked = await postChunked(`${url}/api/github/webhook`, 100 * MiB);
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body)).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining('25 MiB') });
      expect((await postStream(`${url}/api/github/webhook`, 100 * MiB, { declareLength: true })).status).toBe(413);
    }
    const growth = peakRssMiB(child.pid!) - before;
    console.log(`peak RSS growth over 400 MiB of refused uploads: ${growth.toFixed(2)} MiB`);
    expect(growth).toBeLessThan(6);
    // Still serving afterwards.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 60_000);
});

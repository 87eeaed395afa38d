import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/http/http-error.js';
import { readCappedBody } from '../../src/http/read-capped-body.js';

const SPOOL_AFTER = 4 * 1024;
const LIMIT = 256 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The server answers with the sha256 and length of the body it read, or the HttpError's status. */
describe('readCappedBody', () => {
  let server: Server;
  let url: URL;
  let spoolDir: string;

  beforeAll(async () => {
    spoolDir = await mkdtemp(path.join(tmpdir(), 'capped-body-'));
    server = createServer((req, res) => {
      readCappedBody(req, { limit: LIMIT, spoolAfter: SPOOL_AFTER, spoolDir }).then(
        (body) => res.end(JSON.stringify({ sha: sha(body), length: body.length })),
        (error: unknown) => res.writeHead(error instanceof HttpError ? error.status : 500).end(String((error as Error).message)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(spoolDir, { recursive: true, force: true });
  });

  /** Sends `parts` as separate writes, a tick apart so that each arrives as its own chunk. */
  const post = (parts: Buffer[], declared = true) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const total = parts.reduce((n, p) => n + p.length, 0);
      const req = request(url, { method: 'POST', headers: declared ? { 'content-length': total } : {} }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      void (async () => {
        for (const part of parts) {
          req.write(part);
          await new Promise((r) => setTimeout(r, 5));
        }
        req.end();
      })();
    });

  const cases: [string, number[]][] = [
    ['one small chunk', [300]],
    ['an empty body', []],
    ['two chunks under the spool size', [1000, 1500]],
    ['a first chunk one byte under the spool size, then more', [SPOOL_AFTER - 1, 10, 3000]],
    ['many chunks that spill to a temp file', Array.from({ length: 40 }, (_, i) => 700 + i * 13)],
    ['one chunk larger than the spool size', [SPOOL_AFTER * 3 + 7]],
  ];

  for (const declared of [true, false]) {
    for (const [name, sizes] of cases) {
      it(`returns exactly the bytes sent: ${name} (${declared ? 'content-length' : 'chunked'})`, async () => {
        const parts = sizes.map((n) => randomBytes(n));
        const whole = Buffer.concat(parts);
        const { status, text } = await post(parts, declared);
        expect(status).toBe(200);
        expect(JSON.parse(text)).toEqual({ sha: sha(whole), length: whole.length });
        // Spooled bodies leave no temp file behind.
        await expect.poll(() => readdir(spoolDir)).toEqual([]);
      });
    }
  }

  it('refuses a body that streams past the limit with 413, and one that declares more', async () => {
    const streamed = await post(Array.from({ length: 10 }, () => randomBytes(30 * 1024)), false);
    expect(streamed.status).toBe(413);
    expect(streamed.text).toMatch(/exceeds the 256 KiB limit/);
    const declared = await post([randomBytes(LIMIT + 1)]);
    expect(declared.status).toBe(413);
    await expect.poll(() => readdir(spoolDir)).toEqual([]);
  });
});

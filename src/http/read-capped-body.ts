import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatBytes } from './route-caps.js';
import { HttpError } from './http-error.js';

export interface ReadCappedBodyOptions {
  limit: number;
  /** Bytes kept in memory before the rest spills to a temp file. */
  spoolAfter?: number;
  spoolDir?: string;
}

const DEFAULT_SPOOL_AFTER = 1024 * 1024;

/**
 * Reads a request body while counting its bytes. A declared length over the
 * cap is refused before a byte is read; a streamed body is refused the moment
 * it crosses the cap. Large bodies spill to a temp file past `spoolAfter`, so
 * a client streaming far past a big cap (25 MiB for GitHub) never makes the
 * process hold more than about `spoolAfter` bytes for it.
 */
export function readCappedBody(req: IncomingMessage, res: ServerResponse, options: ReadCappedBodyOptions): Promise<Buffer> {
  const { limit } = options;
  const spoolAfter = Math.min(options.spoolAfter ?? DEFAULT_SPOOL_AFTER, limit);
  const tooLarge = () => new HttpError(413, 'payload_too_large', `Request body exceeds the ${formatBytes(limit)} limit of this route`, { connection: 'close' });

  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(req, res);
    return Promise.reject(tooLarge());
  }

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let inMemory = 0;
    let total = 0;
    let spool: { path: string; stream: WriteStream } | undefined;
    let settled = false;

    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      chunks.length = 0;
      if (spool) {
        const { path, stream } = spool;
        stream.destroy();
        void rm(path, { force: true });
      }
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        discardRest(req, res);
        fail(tooLarge());
        return;
      }
      if (!spool && inMemory + chunk.length <= spoolAfter) {
        chunks.push(chunk);
        inMemory += chunk.length;
        return;
      }
      if (!spool) {
        const path = join(options.spoolDir ?? tmpdir(), `ai-implement-body-${randomUUID()}`);
        spool = { path, stream: createWriteStream(path, { mode: 0o600 }) };
        spool.stream.on('error', (error) => fail(error));
      }
      if (!spool.stream.write(chunk)) {
        req.pause();
        spool.stream.once('drain', () => req.resume());
      }
    };
    const onEnd = () => {
      if (settled) return;
      cleanup();
      if (!spool) {
        settled = true;
        resolve(Buffer.concat(chunks, inMemory));
        return;
      }
      const { path, stream } = spool;
      stream.end(() => {
        readFile(path)
          .then((rest) => {
            settled = true;
            resolve(Buffer.concat([...chunks, rest], total));
          })
          .catch((error: Error) => fail(error))
          .finally(() => void rm(path, { force: true }));
      });
    };
    const onError = (error: Error) => fail(new HttpError(400, 'bad_request', `Request body could not be read: ${error.message}`));
    const onAborted = () => fail(new HttpError(400, 'bad_request', 'Request body was cut off by the client'));

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * After a refusal the rest of the body is read and dropped (not kept), and the
 * socket is closed shortly after the answer so the client sees the 413 rather
 * than a reset; the server's request timeout bounds how long this can go on.
 */
function discardRest(req: IncomingMessage, res: ServerResponse): void {
  req.on('data', () => undefined);
  req.on('error', () => undefined);
  req.resume();
  res.once('finish', () => {
    const timer = setTimeout(() => req.socket.destroy(), 2_000);
    timer.unref();
    req.socket.once('close', () => clearTimeout(timer));
  });
}

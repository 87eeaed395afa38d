import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatBytes } from './route-caps.js';
import { HttpError } from './http-error.js';

export interface ReadCappedBodyOptions {
  limit: number;
  /** Bytes kept in memory before the body spills to a temp file. */
  spoolAfter?: number;
  spoolDir?: string;
}

const DEFAULT_SPOOL_AFTER = 1024 * 1024;
const FIRST_STAGING_BYTES = 16 * 1024;

/**
 * Reads a request body while counting its bytes. A declared length over the
 * cap is refused before a byte is read; a streamed body is refused the moment
 * it crosses the cap. Incoming chunks are copied into one staging buffer
 * (≤ `spoolAfter`) that is flushed to a temp file when full, so a client
 * streaming far past a big cap (25 MiB for GitHub) never makes the process
 * hold more than about `spoolAfter` bytes for it — socket chunks die young
 * instead of piling up in the old generation while file writes are pending.
 * A body that arrives as one chunk (most webhooks) is returned as that chunk,
 * uncopied: node:http hands each body chunk over as its own exact-size copy.
 */
export function readCappedBody(req: IncomingMessage, options: ReadCappedBodyOptions): Promise<Buffer> {
  const { limit } = options;
  const spoolAfter = Math.max(1, Math.min(options.spoolAfter ?? DEFAULT_SPOOL_AFTER, limit));
  const tooLarge = () => new HttpError(413, 'payload_too_large', `Request body exceeds the ${formatBytes(limit)} limit of this route`);

  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(req);
    return Promise.reject(tooLarge());
  }

  return new Promise<Buffer>((resolve, reject) => {
    /** The first chunk, kept as it is until a second one arrives. */
    let only: Buffer | undefined;
    let staging: Buffer | undefined;
    let used = 0;
    let total = 0;
    let spool: { path: string; handle: Promise<FileHandle> } | undefined;
    let flushing: Promise<void> = Promise.resolve();
    let settled = false;

    const detach = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const removeSpool = () => {
      if (!spool) return;
      const { path, handle } = spool;
      void handle.then((h) => h.close()).catch(() => undefined).finally(() => rm(path, { force: true }));
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      detach();
      removeSpool();
      reject(error);
    };
    /** Writes the full staging buffer out; the request is paused until it is free again. */
    const flush = () => {
      if (!spool) {
        const path = join(options.spoolDir ?? tmpdir(), `ai-implement-body-${randomUUID()}`);
        spool = { path, handle: open(path, 'w', 0o600) };
      }
      const { handle } = spool;
      const full = staging!;
      const length = used;
      req.pause();
      flushing = flushing
        .then(async () => {
          await (await handle).write(full, 0, length);
          used = 0;
          if (!settled) req.resume();
        })
        .catch((error: Error) => fail(error));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        discardRest(req);
        fail(tooLarge());
        return;
      }
      if (!staging && !only && chunk.length < spoolAfter) {
        only = chunk;
        return;
      }
      if (!staging) {
        staging = Buffer.allocUnsafe(Math.min(spoolAfter, Math.max(Number.isFinite(declared) ? declared : 0, FIRST_STAGING_BYTES, total)));
        if (only) used = only.copy(staging, 0);
        only = undefined;
      }
      let offset = 0;
      while (offset < chunk.length) {
        if (used === staging.length && staging.length < spoolAfter) {
          const grown = Buffer.allocUnsafe(Math.min(spoolAfter, staging.length * 2));
          staging.copy(grown, 0, 0, used);
          staging = grown;
        }
        if (used === staging.length) {
          // Only reached between pause() and the end of a flush: keep the
          // rest aside rather than overwrite the buffer being written.
          const rest = Buffer.from(chunk.subarray(offset));
          flushing = flushing.then(() => onData(rest)).then(() => undefined);
          total -= rest.length;
          return;
        }
        const n = chunk.copy(staging, used, offset);
        used += n;
        offset += n;
        if (used === staging.length && staging.length === spoolAfter && total < limit) flush();
      }
    };
    /** Waits for every pending write, including ones queued while waiting (a chunk larger than the staging buffer queues several). */
    const flushed = async () => {
      let seen: Promise<void>;
      do {
        seen = flushing;
        await seen;
      } while (seen !== flushing);
    };
    const onEnd = () => {
      detach();
      void flushed().then(async () => {
        if (settled) return;
        if (!spool) {
          settled = true;
          if (!staging) resolve(only ?? Buffer.alloc(0));
          else resolve(used === staging.length ? staging : Buffer.from(staging.subarray(0, used)));
          return;
        }
        try {
          const handle = await spool.handle;
          if (used > 0) await handle.write(staging!, 0, used);
          await handle.close();
          const body = await readFile(spool.path);
          settled = true;
          resolve(body);
        } catch (error) {
          fail(error as Error);
        } finally {
          await rm(spool.path, { force: true });
        }
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

/** Past this many dropped bytes the connection is cut instead of drained. */
const MAX_DISCARD_BYTES = 1024 * 1024 * 1024;

/**
 * After a refusal the rest of the body is read and dropped, never kept, so
 * the client sees the 413 instead of a reset mid-upload and the connection
 * stays usable. The server's request timeout bounds how long a client can keep
 * sending; an absurd amount gets the socket cut.
 */
function discardRest(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > MAX_DISCARD_BYTES) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

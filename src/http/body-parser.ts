import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';
import { assertJsonDepth } from './json-depth.js';
import { readCappedBody } from './read-capped-body.js';
import { capForPath } from './route-caps.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The exact bytes received, for signature checks. Set for requests with a body. */
    rawBody?: Buffer;
  }
}

export interface BodyParserOptions {
  capFor?: (path: string) => number;
  spoolDir?: string;
}

/**
 * The only body parser: caps every body per route while it streams, keeps the
 * raw bytes for signature checks, then parses JSON (no deeper than
 * MAX_JSON_DEPTH: 400 `json_too_deep`) and form bodies.
 */
export function createBodyParser(options: BodyParserOptions = {}) {
  const capFor = options.capFor ?? capForPath;
  return async function parseBody(req: Request, _res: Response, next: NextFunction): Promise<void> {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    try {
      const raw = await readCappedBody(req, { limit: capFor(req.path), ...(options.spoolDir ? { spoolDir: options.spoolDir } : {}) });
      req.rawBody = raw;
      req.body = parseByType(raw, req.headers['content-type']);
      next();
    } catch (error) {
      next(error);
    }
  };
}

function parseByType(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) {
    assertJsonDepth(raw);
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch (error) {
      throw new HttpError(400, 'invalid_json', `Request body is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  return undefined;
}

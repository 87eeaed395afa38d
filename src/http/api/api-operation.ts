import type { Router } from 'express';
import type { z } from 'zod';

/**
 * How every `/api/*` route module describes itself, so `GET /api/openapi.json`
 * is generated from the same zod schemas that validate the requests.
 *
 * A route module exports `create…Routes(deps): ApiRouteModule`. Its router is
 * mounted under the `/api` auth guard (bearer token from `POST /api/auth`), so
 * modules hold no auth logic of their own; handlers validate with the listed
 * schemas and throw HttpError / ValidationError / NotFoundError for 4xx.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express-style path under the site root, e.g. `/api/mappings/:teamKey`. */
  path: string;
  summary: string;
  /** Path parameters and their meaning. */
  params?: Record<string, string>;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Shape of the 2xx answer. */
  response?: z.ZodType;
  /** Every status the operation answers, with what it means. */
  statuses: Record<number, string>;
  /** True for the few routes reachable without a bearer token (`POST /api/auth`). */
  public?: boolean;
}

export interface ApiRouteModule {
  router: Router;
  operations: ApiOperation[];
}

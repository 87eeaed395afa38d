import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';

export const DOCS_URL = 'https://docs.github.com/rest';

/** Thrown by routes; the emulator turns it into GitHub's JSON error shape. */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function notFound(): GitHubApiError {
  return new GitHubApiError(404, 'Not Found');
}

export function validationFailed(message: string, errors: Array<Record<string, unknown>> = []): GitHubApiError {
  return new GitHubApiError(422, message, errors.length > 0 ? { errors } : {});
}

export function errorBody(status: number, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { message, ...extra, documentation_url: DOCS_URL, status: String(status) };
}

export function ok(status: number, body?: unknown, headers?: Record<string, string>): EmulatorResponse {
  return { status, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) };
}

export function bodyOf(req: EmulatorRequest): Record<string, unknown> {
  return req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationFailed(`Invalid request.\n\nFor '${key}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

export function requiredString(body: Record<string, unknown>, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined) throw validationFailed(`Invalid request.\n\n"${key}" wasn't supplied.`);
  return value;
}

export function numberParam(value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw notFound();
  return parsed;
}

/**
 * Slices a list by `per_page`/`page` and adds a `Link` header like GitHub's,
 * so `octokit.paginate` walks it.
 */
export function paginate<T>(req: EmulatorRequest, apiBase: string, items: T[]): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(req.query.get('per_page') ?? 30) || 30, 1), 100);
  const pageNo = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const link = (n: number, rel: string): string => {
    const query = new URLSearchParams(req.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `<${apiBase}${req.path}?${query.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
  if (pageNo > 1) links.push(link(1, 'first'), link(pageNo - 1, 'prev'));
  return { page, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

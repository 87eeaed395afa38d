import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The shared shell of every loopback emulator: an HTTP server on 127.0.0.1 that
 * records each request, applies injected faults, and hands the parsed request
 * to the emulator's own router. Emulators keep their state in plain objects
 * and answer with plain `EmulatorResponse` values.
 */

export interface EmulatorRequest {
  method: string;
  /** Path without the query string, e.g. `/repos/acme/app/pulls`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** The body parsed as JSON when it is JSON, otherwise `undefined`. */
  body: unknown;
  /** Route parameters filled in by the router (`:owner` → `params.owner`). */
  params: Record<string, string>;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /**
   * Serialised as JSON unless it is a string, a Buffer, or an async iterable of
   * chunks; an iterable is written chunk by chunk as it yields (server-sent
   * events), so a stream can be slowed, cut or left hanging.
   */
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: number;
  /** The status answered, or `'dropped'` when the connection was cut. */
  outcome: number | 'dropped';
}

/**
 * One request the emulator's router answered, as an observer sees it: what a
 * client sent and what went back. Observers (tests that check the emulators
 * against the vendors' API descriptions) must not change either side.
 */
export interface EmulatorExchange {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  response: {
    status: number;
    headers: Record<string, string>;
    /** The body as the client reads it: JSON round-tripped, a string, or `undefined` for none or a stream. */
    body: unknown;
    streamed: boolean;
  };
}

export type ExchangeObserver = (exchange: EmulatorExchange) => void;

export type FaultKind =
  /** Wait `ms` before handling. */
  | 'latency'
  /** Answer `status` (default 502) without touching state. */
  | 'error'
  /**
   * Answer 429 (or `status`, e.g. 403 for GitHub's secondary limit) with
   * `Retry-After: retryAfterSeconds` without touching state.
   */
  | 'rate-limit'
  /** Apply the request to state, then destroy the socket without answering. */
  | 'drop-after-apply';

export interface Fault {
  kind: FaultKind;
  /** Only requests with this method (case-insensitive). */
  method?: string;
  /** Only requests whose path matches (substring or RegExp). */
  path?: string | RegExp;
  ms?: number;
  status?: number;
  retryAfterSeconds?: number;
  /** How many matching requests the fault applies to; unlimited when unset. */
  times?: number;
  /** Apply to every n-th matching request only (1 = each). */
  every?: number;
}

interface ActiveFault extends Fault {
  seen: number;
  applied: number;
}

export type RouteHandler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

/** A minimal method + path router; `:name` segments become params, `*` matches the rest. */
export class EmulatorRouter {
  private readonly routes: Route[] = [];

  on(method: string, path: string, handler: RouteHandler): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          keys.push(segment.slice(1));
          return '([^/]+)';
        }
        if (segment === '*') {
          keys.push('rest');
          return '(.*)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }

  async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(req.path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method && route.method !== '*') continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(match[i + 1] ?? '');
      });
      return route.handler({ ...req, params });
    }
    return pathMatched
      ? { status: 405, body: { message: `Method ${req.method} not allowed on ${req.path}` } }
      : { status: 404, body: { message: `Not Found: ${req.method} ${req.path}` } };
  }
}

export class EmulatorServer {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: ActiveFault[] = [];
  private readonly observers = new Set<ExchangeObserver>();
  private server: Server | undefined;
  private baseUrl: string | undefined;

  constructor(
    readonly name: string,
    private readonly handler: (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>,
  ) {}

  /** Listens on 127.0.0.1 (port 0 = any free port) and resolves with the base URL. */
  async start(port = 0): Promise<string> {
    if (this.baseUrl) return this.baseUrl;
    const server = createServer((req, res) => {
      void this.serve(req, res);
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port: bound } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${bound}`;
    return this.baseUrl;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.name} emulator is not started`);
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, seen: 0, applied: 0 });
  }

  /**
   * Calls `observer` with every exchange the router answers (injected faults
   * and dropped connections are not the vendor's answers and are left out).
   * Returns a function that removes the observer.
   */
  observe(observer: ExchangeObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Recorded requests filtered by method and path (substring or RegExp). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && matchesPath(r.path, path));
  }

  private pickFaults(method: string, path: string): ActiveFault[] {
    const picked: ActiveFault[] = [];
    for (const fault of this.faults) {
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      if (fault.path !== undefined && !matchesPath(path, fault.path)) continue;
      if (fault.times !== undefined && fault.applied >= fault.times) continue;
      fault.seen += 1;
      if (fault.every && fault.seen % fault.every !== 0) continue;
      fault.applied += 1;
      picked.push(fault);
    }
    return picked;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = parseBody(rawBody, req.headers['content-type']);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      at: Date.now(),
      outcome: 0,
    };
    this.requests.push(record);

    const faults = this.pickFaults(method, url.pathname);
    for (const fault of faults) {
      if (fault.kind === 'latency') await sleep(fault.ms ?? 1_000);
    }
    const refusal = faults.find((f) => f.kind === 'error' || f.kind === 'rate-limit');
    if (refusal) {
      const status = refusal.status ?? (refusal.kind === 'rate-limit' ? 429 : 502);
      const headers: Record<string, string> =
        refusal.kind === 'rate-limit' ? { 'retry-after': String(refusal.retryAfterSeconds ?? 1) } : {};
      record.outcome = status;
      send(res, { status, headers, body: { message: `${this.name} emulator: injected ${refusal.kind}` } });
      return;
    }

    let response: EmulatorResponse;
    try {
      response = await this.handler({ method, path: url.pathname, query: url.searchParams, headers: req.headers, rawBody, body, params: {} });
    } catch (error) {
      response = { status: 500, body: { message: `${this.name} emulator error: ${(error as Error).message}` } };
    }
    if (faults.some((f) => f.kind === 'drop-after-apply')) {
      record.outcome = 'dropped';
      req.socket.destroy();
      return;
    }
    record.outcome = response.status;
    // Observers hear of the exchange once the client has its answer, so a
    // failing observer shows up as an error in the test, not a hung request.
    const exchange: EmulatorExchange | undefined =
      this.observers.size > 0
        ? {
            method,
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body,
            response: { status: response.status, headers: response.headers ?? {}, body: wireBody(response.body), streamed: isChunkStream(response.body) },
          }
        : undefined;
    if (isChunkStream(response.body)) {
      await sendStream(res, response.status, response.headers ?? {}, response.body);
    } else {
      send(res, response);
    }
    if (exchange) for (const observer of this.observers) observer(exchange);
  }
}

function matchesPath(path: string, rule: string | RegExp): boolean {
  return typeof rule === 'string' ? path.includes(rule) : rule.test(path);
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return text;
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload: string | Buffer | undefined;
  if (response.body === undefined) {
    payload = undefined;
  } else if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) {
    payload = response.body;
  } else {
    payload = JSON.stringify(response.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

/** What a client parses out of `body` once it is on the wire. */
function wireBody(body: unknown): unknown {
  if (body === undefined || isChunkStream(body)) return undefined;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (typeof body === 'string') return body;
  return JSON.parse(JSON.stringify(body)) as unknown;
}

function isChunkStream(body: unknown): body is AsyncIterable<string | Buffer> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

async function sendStream(res: ServerResponse, status: number, headers: Record<string, string>, body: AsyncIterable<string | Buffer>): Promise<void> {
  res.writeHead(status, headers);
  // Headers go out now, not with the first chunk: a client waiting for the
  // status line must see it even when the stream then stalls.
  res.flushHeaders();
  const iterator = body[Symbol.asyncIterator]();
  // A client that hangs up ends the producer too, so a stalled stream does not outlive its socket.
  res.once('close', () => void iterator.return?.());
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done || res.destroyed) break;
      res.write(next.value);
    }
    res.end();
  } catch {
    // The producer failed mid-stream: cut the connection so the client sees a broken stream, as with a real network fault.
    res.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** JSON response helper for emulator routes. */
export function json(status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse {
  return headers ? { status, body, headers } : { status, body };
}

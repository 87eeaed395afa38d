import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  progressBodySchema,
  resultBodySchema,
  type JobSpec,
  type ProgressBody,
  type ResultBody,
  type RunnerTokenExchange,
} from '../../../src/domain/runner-protocol.js';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface OrchestratorServerOptions {
  job: JobSpec;
  progressToken: string;
  resultToken: string;
  /** Statuses answered to the first result POSTs before a real answer, e.g. [503, 503]. */
  resultFailures?: number[];
  /** Results accepted (token spent) but answered with 503, as when a proxy loses the response. */
  lostResultResponses?: number;
  /** When set, POST /runner/token accepts this id token and GET /_oidc/token issues it. */
  oidc?: { requestToken: string; idToken: string };
  /** What GET /runner/secrets answers (the broker's values for the run); none when unset. */
  secrets?: Record<string, string>;
}

/**
 * The server side of src/domain/runner-protocol.ts, small but faithful:
 * bearer tokens per audience, zod validation of every body (400 on a bad one),
 * a single-use result token (409 on replay), and the OIDC exchange. A GitHub
 * Actions id-token endpoint rides on the same server under /_oidc/token.
 */
export class OrchestratorServer {
  readonly requests: RecordedRequest[] = [];
  readonly progress: ProgressBody[] = [];
  readonly results: ResultBody[] = [];
  readonly invalidBodies: Array<{ path: string; error: string }> = [];
  resultAttempts = 0;
  private resultSpent = false;
  private server: Server | undefined;
  url = '';

  constructor(private readonly options: OrchestratorServerOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.send(res, 500, { message: String(error) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Latest status reported for each step id, in report order. */
  finalStatuses(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const body of this.progress) for (const step of body.steps) if (!step.parentId) out[step.id] = step.status;
    return out;
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await this.readBody(req);
    const authorization = req.headers.authorization;
    this.requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, authorization, body });
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    const route = `${req.method} ${url.pathname}`;
    const { job } = this.options;

    if (route === 'GET /_oidc/token' && this.options.oidc) {
      if (bearer !== this.options.oidc.requestToken) return this.send(res, 401, { message: 'bad request token' });
      if (url.searchParams.get('audience') !== this.url) return this.send(res, 400, { message: 'wrong audience' });
      return this.send(res, 200, { value: this.options.oidc.idToken });
    }
    if (route === 'POST /runner/token') {
      if (!this.options.oidc) return this.send(res, 501, { message: 'OIDC exchange not configured' });
      if (bearer !== this.options.oidc.idToken) return this.send(res, 401, { message: 'bad id token' });
      const runId = (body as { runId?: unknown } | undefined)?.runId;
      if (runId !== job.runId) return this.send(res, 401, { message: 'wrong run' });
      const answer: RunnerTokenExchange = {
        runId: job.runId,
        attempt: job.attempt,
        progressToken: this.options.progressToken,
        resultToken: this.options.resultToken,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
      return this.send(res, 200, answer);
    }
    if (route === 'GET /runner/secrets') {
      if (bearer !== this.options.progressToken) return this.send(res, 401, { message: 'bad token' });
      return this.send(res, 200, { env: this.options.secrets ?? {} });
    }
    if (route === 'GET /runner/job') {
      if (bearer !== this.options.progressToken) return this.send(res, 401, { message: 'bad token' });
      return this.send(res, 200, job);
    }
    if (route === 'POST /runner/progress') {
      if (bearer !== this.options.progressToken) return this.send(res, 401, { message: 'bad token' });
      const parsed = progressBodySchema.safeParse(body);
      if (!parsed.success) {
        this.invalidBodies.push({ path: url.pathname, error: parsed.error.message });
        return this.send(res, 400, { message: parsed.error.message });
      }
      this.progress.push(parsed.data);
      return this.send(res, 202, { ok: true });
    }
    if (route === 'POST /runner/result') {
      this.resultAttempts += 1;
      const failure = this.options.resultFailures?.shift();
      if (failure !== undefined) return this.send(res, failure, { message: 'injected failure' });
      if (bearer !== this.options.resultToken) return this.send(res, 401, { message: 'bad token' });
      if (this.resultSpent) return this.send(res, 409, { message: 'result token already used' });
      const parsed = resultBodySchema.safeParse(body);
      if (!parsed.success) {
        this.invalidBodies.push({ path: url.pathname, error: parsed.error.message });
        return this.send(res, 400, { message: parsed.error.message });
      }
      this.resultSpent = true;
      this.results.push(parsed.data);
      if ((this.options.lostResultResponses ?? 0) > 0) {
        this.options.lostResultResponses! -= 1;
        return this.send(res, 503, { message: 'response lost' });
      }
      return this.send(res, 200, { ok: true });
    }
    return this.send(res, 404, { message: `no route ${route}` });
  }
}

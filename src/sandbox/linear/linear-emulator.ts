import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { EmulatorServer, json, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { executeOperation, rootFieldNames, selectOperation, type GqlObject } from './graphql-executor.js';
import { LinearFilterError } from './linear-filter.js';
import { LinearNodes } from './linear-nodes.js';
import { buildMutationRoot, buildQueryRoot } from './linear-resolvers.js';
import { LinearStore, type LinearComment, type LinearIssue, type LinearWorkflowState, type LinearWorkspace } from './linear-state.js';
import { buildLinearWebhook, signLinearWebhook, type LinearWebhookDelivery } from './linear-webhook.js';
import { readGraphqlDocument, type ReadDocumentResult } from './read-graphql-document.js';
import { WebhookSender } from '../webhook-sender.js';
import { LinearUserActions } from './linear-user-actions.js';
import { handleIssuePage, isIssuePagePath } from './linear-pages.js';

/**
 * A loopback Linear GraphQL API. Point `new LinearClient({ apiKey, apiUrl })`
 * at `${url}/graphql`. State lives in `store.workspace` (seed with the
 * `store.add…` helpers, inspect with the accessors below).
 */

export interface LinearEmulatorOptions {
  /** The personal API key clients must send as `Authorization` (default `lin_api_sandbox`). */
  apiKey?: string;
  /** OAuth access tokens also accepted, sent as `Bearer <token>`. */
  accessTokens?: string[];
  /** Workspace url key used in issue URLs (default `sandbox`). */
  urlKey?: string;
  /** The user the key belongs to; by default an app (agent) user named AI-Implement. */
  viewer?: { name: string; email: string; app?: boolean };
  /** Requests allowed per hour before Linear's RATELIMITED error (default 5000). */
  requestsLimit?: number;
  /**
   * Keep `<!-- … -->` in comment bodies written through the API. Off by
   * default: the emulator drops them, as Linear's rich-text storage is
   * feared to. Turn it on only to stand for a workspace where older clients'
   * hidden markers survived.
   */
  keepHtmlComments?: boolean;
  /**
   * Serve issue pages at `/<urlKey>/issue/<identifier>` and point issue
   * `url`s at them (sandbox mode), instead of linear.app.
   */
  issuePages?: { label: string };
  /** Told when a webhook delivery fails (sandbox mode logs it). */
  onWebhookFailure?: (event: string, reason: string) => void;
  now?: () => Date;
}

export interface LinearOperationRecord {
  operation: 'query' | 'mutation' | 'subscription';
  rootFields: string[];
  variables: Record<string, unknown>;
}

interface OperationHold {
  rootField: string;
  count: number;
  waiting: (() => void)[];
}

const HOUR_MS = 3_600_000;
const COMPLEXITY_LIMIT = 3_000_000;
const DOCUMENT_CACHE_SIZE = 200;

export class LinearEmulator {
  readonly server: EmulatorServer;
  readonly store: LinearStore;
  readonly nodes: LinearNodes;
  /** Every GraphQL operation executed (after auth), in order. */
  readonly operations: LinearOperationRecord[] = [];
  readonly apiKey: string;
  private readonly accessTokens: Set<string>;
  private readonly requestsLimit: number;
  private readonly now: () => Date;
  private windowStart = 0;
  private windowCount = 0;
  private syncId = 1000;
  private readonly documents = new Map<string, ReadDocumentResult>();
  private readonly keepHtmlComments: boolean;
  private readonly holds: OperationHold[] = [];
  /** Linear's webhook: unset, nothing is sent (see `webhooks.connect`). */
  readonly webhooks: WebhookSender;
  /** What a person does in Linear's app (create an issue, label it, comment), each followed by its webhook. */
  readonly users: LinearUserActions;
  private readonly issuePages: { label: string } | undefined;

  constructor(options: LinearEmulatorOptions = {}) {
    this.apiKey = options.apiKey ?? 'lin_api_sandbox';
    this.accessTokens = new Set(options.accessTokens ?? []);
    this.requestsLimit = options.requestsLimit ?? 5_000;
    this.now = options.now ?? (() => new Date());
    this.keepHtmlComments = options.keepHtmlComments ?? false;
    const viewer = options.viewer ?? { name: 'AI-Implement', email: 'ai-implement@apps.linear.test', app: true };
    this.store = new LinearStore(this.now, options.urlKey ?? 'sandbox', { name: viewer.name, email: viewer.email, app: viewer.app ?? true });
    this.nodes = new LinearNodes(this.store);
    this.server = new EmulatorServer('linear', (req) => this.handle(req));
    this.webhooks = new WebhookSender(options.onWebhookFailure);
    this.users = new LinearUserActions(this.store, this.nodes, this.webhooks);
    this.issuePages = options.issuePages;
  }

  /** Starts listening on 127.0.0.1 and returns the base URL (`apiUrl` is `${base}/graphql`). */
  async start(port = 0): Promise<string> {
    const url = await this.server.start(port);
    if (this.issuePages) this.store.issueUrlBase = url;
    return url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  get apiUrl(): string {
    return `${this.server.url}/graphql`;
  }

  get workspace(): LinearWorkspace {
    return this.store.workspace;
  }

  /** An issue by identifier (`ENG-12`) or id; throws when unknown. */
  issue(idOrIdentifier: string): LinearIssue {
    return this.store.requireIssue(idOrIdentifier);
  }

  labelNames(idOrIdentifier: string): string[] {
    return this.nodes.labelsOf(this.issue(idOrIdentifier)).map((l) => l.name);
  }

  stateOf(idOrIdentifier: string): LinearWorkflowState {
    const issue = this.issue(idOrIdentifier);
    return this.store.requireState(issue.teamId, issue.stateId);
  }

  commentsOn(idOrIdentifier: string): LinearComment[] {
    const issue = this.issue(idOrIdentifier);
    return this.workspace.comments.filter((c) => c.issueId === issue.id);
  }

  /**
   * Holds the next `count` operations on `rootField` until all `count` have
   * arrived, then runs them in arrival order. A test uses it to make a race
   * certain: every racer has done its lookup before any of them writes.
   */
  holdOperations(rootField: string, count: number): void {
    const hold: OperationHold = { rootField, count, waiting: [] };
    this.holds.push(hold);
  }

  /** Uses up the hourly request budget so the next request gets Linear's RATELIMITED error. */
  exhaustRateLimit(): void {
    this.refreshWindow();
    this.windowCount = this.requestsLimit;
  }

  signWebhook(payload: string | Buffer, secret: string): string {
    return signLinearWebhook(payload, secret);
  }

  /** A signed `Issue` webhook delivery for the issue's current state. */
  issueWebhook(
    idOrIdentifier: string,
    options: { secret: string; action?: 'create' | 'update' | 'remove'; updatedFrom?: Record<string, unknown> },
  ): LinearWebhookDelivery {
    return buildLinearWebhook(this.store, this.nodes, this.issue(idOrIdentifier), options);
  }

  private refreshWindow(): void {
    const nowMs = this.now().getTime();
    if (nowMs - this.windowStart >= HOUR_MS) {
      this.windowStart = nowMs;
      this.windowCount = 0;
    }
  }

  private rateHeaders(): Record<string, string> {
    const reset = String(this.windowStart + HOUR_MS);
    return {
      'x-ratelimit-requests-limit': String(this.requestsLimit),
      'x-ratelimit-requests-remaining': String(Math.max(0, this.requestsLimit - this.windowCount)),
      'x-ratelimit-requests-reset': reset,
      'x-ratelimit-complexity-limit': String(COMPLEXITY_LIMIT),
      'x-ratelimit-complexity-remaining': String(COMPLEXITY_LIMIT - this.windowCount * 10),
      'x-ratelimit-complexity-reset': reset,
    };
  }

  private authorized(header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    if (header.startsWith('Bearer ')) return this.accessTokens.has(header.slice(7));
    return header === this.apiKey;
  }

  private handle(req: EmulatorRequest): EmulatorResponse | Promise<EmulatorResponse> {
    if (this.issuePages && isIssuePagePath(req.path)) return handleIssuePage(req, { store: this.store, nodes: this.nodes, actions: this.users, label: this.issuePages.label });
    if (req.path !== '/graphql' && req.path !== '/graphql/') {
      return json(404, { errors: [{ message: `Not Found: ${req.path}`, extensions: { type: 'unknown' } }] });
    }
    if (req.method !== 'POST') return json(405, errorBody('Only POST is supported by this endpoint.', 'graphql error', 'BAD_REQUEST'));
    if (!this.authorized(req.headers.authorization)) {
      return json(400, {
        errors: [
          {
            message: 'Authentication required, not authenticated',
            extensions: {
              type: 'authentication error',
              code: 'AUTHENTICATION_ERROR',
              statusCode: 401,
              userPresentableMessage: 'You need to authenticate to access this operation.',
            },
          },
        ],
      });
    }
    this.refreshWindow();
    if (this.windowCount >= this.requestsLimit) {
      return json(400, errorBody('Rate limit exceeded', 'ratelimited', 'RATELIMITED'), this.rateHeaders());
    }
    this.windowCount += 1;
    const headers = this.rateHeaders();
    const held = this.hold(req.body);
    if (held) return held.then(() => ({ ...this.execute(req.body), headers }));
    return { ...this.execute(req.body), headers };
  }

  /** A promise that settles when the operation's hold (if any) opens. */
  private hold(body: unknown): Promise<void> | undefined {
    if (this.holds.length === 0) return undefined;
    const query = (body as { query?: unknown } | null)?.query;
    if (typeof query !== 'string') return undefined;
    const read = this.readDocument(query);
    if (!read.ok) return undefined;
    let fields: string[];
    try {
      fields = rootFieldNames(read.document, selectOperation(read.document, (body as { operationName?: string }).operationName));
    } catch {
      // An unrunnable document is answered by execute() with its error; holding it would prove nothing.
      return undefined;
    }
    const hold = this.holds.find((h) => fields.includes(h.rootField));
    if (!hold) return undefined;
    return new Promise<void>((resolve) => {
      hold.waiting.push(resolve);
      if (hold.waiting.length < hold.count) return;
      this.holds.splice(this.holds.indexOf(hold), 1);
      for (const release of hold.waiting) release();
    });
  }

  // @linear/sdk and our adapter send the same few documents over and over,
  // and parsing plus validation costs about a millisecond each time.
  private readDocument(source: string): ReadDocumentResult {
    let read = this.documents.get(source);
    if (!read) {
      if (this.documents.size >= DOCUMENT_CACHE_SIZE) this.documents.clear();
      read = readGraphqlDocument(source);
      this.documents.set(source, read);
    }
    return read;
  }

  private execute(body: unknown): EmulatorResponse {
    const request = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof request.query !== 'string') return json(400, errorBody('Must provide query string.', 'graphql error', 'BAD_REQUEST'));
    const variables = (typeof request.variables === 'object' && request.variables !== null ? request.variables : {}) as Record<string, unknown>;
    const read = this.readDocument(request.query);
    if (!read.ok) return json(400, { errors: read.errors.map((error) => documentError(error, read.code)) });
    const { document } = read;
    try {
      const operation = selectOperation(document, typeof request.operationName === 'string' ? request.operationName : undefined);
      if (operation.operation === 'subscription') return json(400, errorBody('Subscriptions are not supported.', 'graphql error', 'BAD_REQUEST'));
      const root: GqlObject =
        operation.operation === 'mutation'
          ? buildMutationRoot(this.store, this.nodes, () => ++this.syncId, { keepHtmlComments: this.keepHtmlComments })
          : buildQueryRoot(this.store, this.nodes);
      const rootFields = rootFieldNames(document, operation);
      const unknown = rootFields.find((name) => name !== '__typename' && !(name in root));
      if (unknown) {
        return json(400, errorBody(`Cannot query field "${unknown}" on type "${root.__typename}".`, 'graphql error', 'GRAPHQL_VALIDATION_FAILED'));
      }
      this.operations.push({ operation: operation.operation, rootFields, variables });
      const result = executeOperation(document, operation, root, variables);
      const out: { data: unknown; errors?: GraphQLFormattedError[] } = { data: result.data };
      if (result.errors.length > 0) out.errors = result.errors.map((error) => error.toJSON());
      return json(200, out);
    } catch (error) {
      if (error instanceof LinearFilterError) return json(400, errorBody(error.message, 'invalid input', 'GRAPHQL_VALIDATION_FAILED'));
      if (error instanceof GraphQLError) return json(400, { errors: [error.toJSON()] });
      throw error;
    }
  }
}

function errorBody(message: string, type: string, code: string): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message, extensions: { type, code, userPresentableMessage: message } }] };
}

/** A parse or validation error as Linear reports it: graphql-js's message and locations, Linear's extensions. */
function documentError(error: GraphQLError, code: string): GraphQLFormattedError {
  return { ...error.toJSON(), extensions: { type: 'graphql error', code, userPresentableMessage: error.message } };
}

import { EmulatorRouter, EmulatorServer, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { jiraError } from './jira-errors.js';
import { JiraFormatter } from './jira-format.js';
import { registerCommentRoutes } from './jira-comment-routes.js';
import { registerIssueRoutes } from './jira-issue-routes.js';
import { registerSearchRoutes } from './jira-search-routes.js';
import { AI_STATUS_OPTIONS, JiraStore, type AdfNode, type JiraComment, type JiraCustomField, type JiraIssue, type JiraSite, type JiraUser } from './jira-state.js';
import { WebhookSender } from '../webhook-sender.js';
import { handleBrowsePage, isBrowsePath } from './jira-pages.js';
import { buildIssueUpdatedWebhook, signJiraWebhook, type JiraChangelogItem, type JiraWebhookDelivery } from './jira-webhook.js';

/**
 * A loopback Jira Cloud REST v3 API. Point jira.js at it with
 * `new Version3Client({ host: url, authentication: { basic: { email, apiToken } } })`.
 * State lives in `store.site`; seed with the `store.add…` helpers.
 */

export interface JiraEmulatorOptions {
  /** The API user (default ai-implement@example.test / `jira-sandbox-token`, an app account). */
  email?: string;
  apiToken?: string;
  displayName?: string;
  /** Type of the "AI-Implement Repo" custom field (default `text`). */
  repoFieldType?: 'text' | 'select';
  /** Options of the repo field when it is a select. */
  repoOptions?: string[];
  /** Base of `self` links while the server is not running (default https://sandbox.atlassian.net). */
  siteUrl?: string;
  /** Skip the default statuses, transitions and AI-Implement fields. */
  empty?: boolean;
  /**
   * Whether `GET /issue/{key}/comment` honours `expand=properties` (default
   * true). Jira documents that expand only for `POST /comment/list`; false
   * checks a client that must not count on it.
   */
  commentListingExpandsProperties?: boolean;
  /** Drop the `properties` of a comment create (default false), to check a client that must not count on them. */
  commentCreateIgnoresProperties?: boolean;
  /** Told when a webhook delivery fails (sandbox mode logs it). */
  onWebhookFailure?: (event: string, reason: string) => void;
  now?: () => Date;
}

export class JiraEmulator {
  readonly server: EmulatorServer;
  readonly store: JiraStore;
  readonly format: JiraFormatter;
  readonly email: string;
  readonly apiToken: string;
  /** The "AI-Implement Status" select field (absent with `empty`). */
  readonly statusField: JiraCustomField | undefined;
  /** The "AI-Implement Repo" field (absent with `empty`). */
  readonly repoField: JiraCustomField | undefined;
  private readonly router = new EmulatorRouter();
  private readonly now: () => Date;
  private readonly siteUrl: string;
  private listeningUrl: string | undefined;
  /** Jira's admin webhook: unset, nothing is sent (see `webhooks.connect`). */
  readonly webhooks: WebhookSender;

  constructor(options: JiraEmulatorOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.siteUrl = options.siteUrl ?? 'https://sandbox.atlassian.net';
    this.store = new JiraStore(this.now);
    this.email = options.email ?? 'ai-implement@example.test';
    this.apiToken = options.apiToken ?? 'jira-sandbox-token';
    this.store.addUser({ displayName: options.displayName ?? 'AI-Implement', emailAddress: this.email, apiToken: this.apiToken, accountType: 'app' });
    this.format = new JiraFormatter(this.store, () => this.listeningUrl ?? this.siteUrl);
    if (!options.empty) {
      this.store.addStatus('To Do', 'new');
      this.store.addStatus('In Progress', 'indeterminate');
      this.store.addStatus('In Review', 'indeterminate');
      this.store.addStatus('Done', 'done');
      this.store.addTransition('To Do', 'To Do');
      this.store.addTransition('Start Progress', 'In Progress');
      this.store.addTransition('Ready for Review', 'In Review');
      this.store.addTransition('Done', 'Done');
      this.statusField = this.store.addCustomField({ name: 'AI-Implement Status', type: 'select', options: AI_STATUS_OPTIONS, numericId: 10042 });
      const repoType = options.repoFieldType ?? 'text';
      this.repoField = this.store.addCustomField({ name: 'AI-Implement Repo', type: repoType, options: repoType === 'select' ? (options.repoOptions ?? []) : [], numericId: 10043 });
    }
    const ctx = { store: this.store, format: this.format, caller: (req: EmulatorRequest) => this.caller(req) as JiraUser };
    registerIssueRoutes(this.router, ctx);
    registerCommentRoutes(this.router, ctx, {
      listingExpandsProperties: options.commentListingExpandsProperties ?? true,
      createIgnoresProperties: options.commentCreateIgnoresProperties ?? false,
    });
    registerSearchRoutes(this.router, { ...ctx, now: this.now, baseUrl: () => this.listeningUrl ?? this.siteUrl });
    this.server = new EmulatorServer('jira', (req) => this.handle(req));
    this.webhooks = new WebhookSender(options.onWebhookFailure);
  }

  /** Starts listening on 127.0.0.1 and returns the base URL (jira.js `host`). */
  async start(port = 0): Promise<string> {
    this.listeningUrl = await this.server.start(port);
    return this.listeningUrl;
  }

  async stop(): Promise<void> {
    this.listeningUrl = undefined;
    await this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  get site(): JiraSite {
    return this.store.site;
  }

  /** An issue by key (`OPS-7`) or id; throws when unknown. */
  issue(keyOrId: string): JiraIssue {
    return this.store.requireIssue(keyOrId);
  }

  statusOf(keyOrId: string): string {
    return this.store.requireStatus(this.issue(keyOrId).statusId).name;
  }

  /** A custom field's value as text (option value for selects). */
  customValue(keyOrId: string, field: string): string | null {
    return this.store.customValue(this.issue(keyOrId), field);
  }

  commentsOn(keyOrId: string): JiraComment[] {
    const issue = this.issue(keyOrId);
    return this.site.comments.filter((c) => c.issueId === issue.id);
  }

  commentBodies(keyOrId: string): AdfNode[] {
    return this.commentsOn(keyOrId).map((c) => c.body);
  }

  /** The comment on the issue whose entity property `propertyKey` deep-equals `value`. */
  commentWithProperty(keyOrId: string, propertyKey: string, value: unknown): JiraComment | undefined {
    const wanted = JSON.stringify(value);
    return this.commentsOn(keyOrId).find((c) => propertyKey in c.properties && JSON.stringify(c.properties[propertyKey]) === wanted);
  }

  signWebhook(body: string | Buffer, secret: string): string {
    return signJiraWebhook(body, secret);
  }

  /** A signed `jira:issue_updated` delivery carrying the issue's current state. */
  issueUpdatedWebhook(keyOrId: string, options: { secret: string; changelog?: JiraChangelogItem[] }): JiraWebhookDelivery {
    return buildIssueUpdatedWebhook(this.format, this.issue(keyOrId), {
      ...options,
      user: this.site.users[0],
      timestamp: this.now().getTime(),
    });
  }

  /** The user a request authenticates as, from HTTP basic auth. */
  private caller(req: EmulatorRequest): JiraUser | undefined {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const email = decoded.slice(0, colon);
    const token = decoded.slice(colon + 1);
    return this.site.users.find((u) => u.emailAddress === email && u.apiToken !== undefined && u.apiToken === token && u.active);
  }

  private handle(req: EmulatorRequest): Promise<EmulatorResponse> | EmulatorResponse {
    // The issue pages a browser opens (ticket links); a person's session, not the API's basic auth.
    if (isBrowsePath(req.path)) return handleBrowsePage(req, { store: this.store, format: this.format, webhooks: this.webhooks, now: this.now });
    if (!this.caller(req)) {
      return { ...jiraError(401, ['Client must be authenticated to access this resource.']), headers: { 'www-authenticate': 'Basic realm="protected-area"' } };
    }
    return this.router.handle(req);
  }
}

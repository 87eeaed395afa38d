import type { IncomingMessage } from 'node:http';
import type { NewDelivery } from '../domain/inbox-delivery.js';
import type { DirectRoute } from './direct-routes.js';
import { HttpError } from './http-error.js';
import { assertJsonDepth } from './json-depth.js';
import { readCappedBody } from './read-capped-body.js';
import { capForPath } from './route-caps.js';
import { verifyHmacSha256 } from './verify-hmac.js';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhook';

export interface GitHubWebhookDeps {
  secret: string | undefined;
  /**
   * Records the verified delivery durably (`InboxWorker.accept`) and resolves
   * once it is safe to acknowledge; handlers run later from the inbox, not here.
   */
  accept: (delivery: NewDelivery) => Promise<{ duplicate: boolean }>;
  now: () => number;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const isJsonType = (contentType: string | undefined) => {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
};

/** The body must be a JSON object; parsed only to check, since the inbox keeps the bytes. */
function checkPayload(req: IncomingMessage, body: Buffer): void {
  const invalid = () => new HttpError(400, 'invalid_payload', 'Webhook payload must be a JSON object sent with Content-Type: application/json');
  if (!isJsonType(header(req, 'content-type')) || body.length === 0) throw invalid();
  // The same limit as the shared body parser: the inbox worker parses and walks these bytes later.
  assertJsonDepth(body);
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw invalid();
}

/**
 * `POST /api/github/webhook`: read the body under its cap (25 MiB) while it
 * streams, verify the signature on those bytes, record, acknowledge. It is a
 * direct route (see `direct-routes.ts`): the acknowledgement is the hot path
 * of the whole app, and handlers run later from the inbox.
 */
export function createGitHubWebhookRoute(deps: GitHubWebhookDeps): DirectRoute {
  return {
    method: 'POST',
    path: GITHUB_WEBHOOK_PATH,
    async handle(req) {
      const body = await readCappedBody(req, { limit: capForPath(GITHUB_WEBHOOK_PATH) });
      if (!deps.secret) {
        throw new HttpError(503, 'webhook_disabled', 'GitHub webhooks are disabled: GITHUB_WEBHOOK_SECRET (or WEBHOOK_SECRET) is not set');
      }
      const signature = header(req, 'x-hub-signature-256');
      if (!verifyHmacSha256(deps.secret, body, signature, 'sha256=')) {
        throw new HttpError(401, 'bad_signature', signature ? 'X-Hub-Signature-256 does not match the body' : 'X-Hub-Signature-256 header is missing');
      }
      const id = header(req, 'x-github-delivery');
      const name = header(req, 'x-github-event');
      if (!id || !name) throw new HttpError(400, 'missing_header', `${id ? 'X-GitHub-Event' : 'X-GitHub-Delivery'} header is missing`);
      checkPayload(req, body);
      // The verified bytes: the inbox stores them as they are; the worker parses them when it handles the delivery.
      const { duplicate } = await deps.accept({ id, source: 'github', event: name, payload: undefined, rawPayload: body, receivedAt: new Date(deps.now()).toISOString() });
      return { status: 202, body: { status: duplicate ? 'duplicate' : 'accepted', id } };
    },
  };
}

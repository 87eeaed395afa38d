import { Router } from 'express';
import { HttpError } from './http-error.js';
import { verifyHmacSha256 } from './verify-hmac.js';

export interface GitHubDelivery {
  id: string;
  name: string;
  payload: unknown;
  /** The exact body the signature was verified on (the JSON text of `payload`). */
  rawPayload?: Buffer;
  receivedAt: number;
}

export interface GitHubWebhookDeps {
  secret: string | undefined;
  /**
   * Records the verified delivery durably (the inbox) and resolves once it is
   * safe to acknowledge; handlers run later from the inbox, not here.
   */
  accept: (delivery: GitHubDelivery) => Promise<{ duplicate: boolean }>;
  now: () => number;
}

/**
 * `POST /api/github/webhook`: verify on the raw bytes, record, acknowledge.
 * The body cap (25 MiB) is applied by the body parser before this runs.
 */
export function createGitHubWebhookRoute(deps: GitHubWebhookDeps): Router {
  const router = Router();
  router.post('/api/github/webhook', async (req, res) => {
    if (!deps.secret) {
      throw new HttpError(503, 'webhook_disabled', 'GitHub webhooks are disabled: GITHUB_WEBHOOK_SECRET (or WEBHOOK_SECRET) is not set');
    }
    const signature = req.header('x-hub-signature-256');
    if (!verifyHmacSha256(deps.secret, req.rawBody ?? Buffer.alloc(0), signature, 'sha256=')) {
      throw new HttpError(401, 'bad_signature', signature ? 'X-Hub-Signature-256 does not match the body' : 'X-Hub-Signature-256 header is missing');
    }
    const id = req.header('x-github-delivery');
    const name = req.header('x-github-event');
    if (!id || !name) throw new HttpError(400, 'missing_header', `${id ? 'X-GitHub-Event' : 'X-GitHub-Delivery'} header is missing`);
    if (req.body === undefined || typeof req.body !== 'object') {
      throw new HttpError(400, 'invalid_payload', 'Webhook payload must be a JSON object sent with Content-Type: application/json');
    }
    const { duplicate } = await deps.accept({ id, name, payload: req.body, ...(req.rawBody ? { rawPayload: req.rawBody } : {}), receivedAt: deps.now() });
    res.status(202).json({ status: duplicate ? 'duplicate' : 'accepted', id });
  });
  return router;
}

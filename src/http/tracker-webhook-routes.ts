import { createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import type { z } from 'zod';
import type { DeliverySource, NewDelivery } from '../domain/inbox-delivery.js';
import { jiraWebhookSchema } from '../trackers/jira/index.js';
import { linearWebhookSchema } from '../trackers/linear/index.js';
import { HttpError } from './http-error.js';
import { verifyHmacSha256 } from './verify-hmac.js';

export interface TrackerWebhookDeps {
  linearSecret: string | undefined;
  jiraSecret: string | undefined;
  /** Records the delivery durably and wakes the inbox worker (`InboxWorker.accept`); a replayed id is a duplicate. */
  accept: (delivery: NewDelivery) => Promise<{ duplicate: boolean }>;
  clock: () => number;
}

/** Linear signs `webhookTimestamp`; a delivery older than this is a replay. */
export const LINEAR_TIMESTAMP_WINDOW_MS = 60_000;
/** Jira redelivers with the original timestamp, so its window is wider. */
export const JIRA_TIMESTAMP_WINDOW_MS = 5 * 60_000;
/**
 * How long a Jira body without a timestamp is remembered: nothing else stops
 * its replay, so as long as an evaluation it could trigger stays deduplicated.
 */
export const UNTIMED_REPLAY_WINDOW_MS = 24 * 3_600_000;

/**
 * `POST /webhooks/linear` and `POST /webhooks/jira`: verify on the raw bytes,
 * check the timestamp, record in the inbox (deduplicated by delivery id, and
 * by the body's digest while the body is fresh — 24 h for a Jira body without
 * a timestamp), answer 200. Evaluation happens in the inbox worker.
 */
export function createTrackerWebhookRoutes(deps: TrackerWebhookDeps): Router {
  const router = Router();

  router.post('/webhooks/linear', async (req, res) => {
    const payload = verified(req, deps.linearSecret, 'LINEAR_WEBHOOK_SECRET', 'linear-signature', '', linearWebhookSchema);
    const sentAt = Number(payload.webhookTimestamp);
    const now = deps.clock();
    checkFreshness(sentAt, now, LINEAR_TIMESTAMP_WINDOW_MS, 'webhookTimestamp');
    const digest = digestOf(req);
    const id = req.header('linear-delivery') ?? digest;
    const event = `${payload.type ?? req.header('linear-event') ?? 'unknown'}.${payload.action ?? 'unknown'}`;
    // The body stays fresh until webhookTimestamp + the window (it may be ahead of our clock): remember it that long.
    const replayKey = replayKeyOf('linear', digest, Math.max(now, sentAt + LINEAR_TIMESTAMP_WINDOW_MS));
    res.status(200).json(await record(deps, { id, source: 'linear', event, payload, receivedAt: new Date(now).toISOString(), replayKey }));
  });

  router.post('/webhooks/jira', async (req, res) => {
    const payload = verified(req, deps.jiraSecret, 'JIRA_WEBHOOK_SECRET', 'x-hub-signature', 'sha256=', jiraWebhookSchema);
    const now = deps.clock();
    const sentAt = payload.timestamp === undefined ? undefined : Number(payload.timestamp);
    if (sentAt !== undefined) checkFreshness(sentAt, now, JIRA_TIMESTAMP_WINDOW_MS, 'timestamp');
    const digest = digestOf(req);
    const id = req.header('x-atlassian-webhook-identifier') ?? digest;
    const event = payload.webhookEvent ?? 'unknown';
    const replayKey = replayKeyOf('jira', digest, sentAt === undefined ? now + UNTIMED_REPLAY_WINDOW_MS : Math.max(now, sentAt + JIRA_TIMESTAMP_WINDOW_MS));
    res.status(200).json(await record(deps, { id, source: 'jira', event, payload, receivedAt: new Date(now).toISOString(), replayKey }));
  });

  return router;
}

function verified<T>(req: Request, secret: string | undefined, secretName: string, header: string, prefix: string, schema: z.ZodType<T>): T {
  if (!secret) throw new HttpError(503, 'webhook_disabled', `This webhook is disabled: ${secretName} is not set`);
  const signature = req.header(header);
  if (!verifyHmacSha256(secret, req.rawBody ?? Buffer.alloc(0), signature, prefix)) {
    throw new HttpError(401, 'bad_signature', signature ? `${header} does not match the body` : `${header} header is missing`);
  }
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw new HttpError(400, 'invalid_payload', 'Webhook payload must be a JSON object sent with Content-Type: application/json');
  }
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, 'invalid_payload', `Webhook payload field ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function checkFreshness(sentAt: number, now: number, windowMs: number, field: string): void {
  if (!Number.isFinite(sentAt)) throw new HttpError(401, 'stale_delivery', `${field} is missing`);
  if (Math.abs(now - sentAt) > windowMs) {
    throw new HttpError(401, 'stale_delivery', `${field} is ${Math.round((now - sentAt) / 1000)} s away from now (allowed ±${windowMs / 1000} s)`);
  }
}

/**
 * The digest of the signed bytes. Without a delivery header it identifies the
 * delivery; either way it recognises a replay, since the delivery id is not
 * signed and a replay under a new one has the same bytes.
 */
function digestOf(req: Request): string {
  return createHash('sha256').update(req.rawBody ?? Buffer.alloc(0)).digest('hex');
}

/** Remembered until the body could no longer pass the freshness check (at least until now). */
function replayKeyOf(source: DeliverySource, digest: string, untilMs: number): NonNullable<NewDelivery['replayKey']> {
  // A second past the last instant the body passes the check: the check allows exactly the window.
  return { key: `webhook-body:${source}:${digest}`, expiresAt: new Date(untilMs + 1_000).toISOString() };
}

async function record(deps: TrackerWebhookDeps, delivery: NewDelivery & { source: DeliverySource }): Promise<{ status: string; id: string }> {
  const { duplicate } = await deps.accept(delivery);
  return { status: duplicate ? 'duplicate' : 'accepted', id: delivery.id };
}

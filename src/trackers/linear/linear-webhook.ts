import { z } from 'zod';

/**
 * The envelope of a Linear webhook delivery (developers.linear.app, Webhooks):
 * `action`, `type` (`Issue`, `Comment`, …), `data` (the entity), and the
 * signed `webhookTimestamp` in epoch milliseconds. Only the fields we use are
 * read; the rest of the payload passes untouched.
 */
export const linearWebhookSchema = z
  .object({
    action: z.string().optional(),
    type: z.string().optional(),
    webhookTimestamp: z.union([z.number(), z.string()]).optional(),
    data: z.object({ id: z.unknown().optional() }).loose().optional(),
  })
  .loose();

export type LinearWebhook = z.infer<typeof linearWebhookSchema>;

/** The id of the issue an `Issue` delivery is about; undefined for any other delivery. */
export function linearIssueIdOf(payload: unknown): string | undefined {
  const parsed = linearWebhookSchema.safeParse(payload);
  if (!parsed.success || parsed.data.type !== 'Issue') return undefined;
  const id = parsed.data.data?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

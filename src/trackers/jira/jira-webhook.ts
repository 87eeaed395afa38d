import { z } from 'zod';

/**
 * The envelope of a Jira Cloud webhook delivery: `webhookEvent`
 * (`jira:issue_created`, `jira:issue_updated`, …), `timestamp` in epoch
 * milliseconds, and the `issue` with its `id` and `key`. Only the fields we
 * use are read; the rest of the payload passes untouched.
 */
export const jiraWebhookSchema = z
  .object({
    webhookEvent: z.string().optional(),
    timestamp: z.union([z.number(), z.string()]).optional(),
    issue: z.object({ id: z.unknown().optional(), key: z.unknown().optional() }).loose().optional(),
  })
  .loose();

export type JiraWebhook = z.infer<typeof jiraWebhookSchema>;

/** The key (else the id) of the issue a `jira:issue_*` delivery is about; undefined for any other delivery. */
export function jiraIssueKeyOf(payload: unknown): string | undefined {
  const parsed = jiraWebhookSchema.safeParse(payload);
  if (!parsed.success || !parsed.data.webhookEvent?.startsWith('jira:issue_')) return undefined;
  const { key, id } = parsed.data.issue ?? {};
  if (typeof key === 'string' && key !== '') return key;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';

export const WEBHOOK_BENCH_SECRET = 'bench-webhook-secret';

/** The 12.7 KB `issue_comment.created` example GitHub recorded, with the installation a real delivery has. */
export function examplePayload(): Buffer {
  const require = createRequire(import.meta.url);
  const groups = require('@octokit/webhooks-examples/api.github.com/index.json') as { name: string; examples: { action?: string }[] }[];
  const payload = structuredClone(groups.find((g) => g.name === 'issue_comment')?.examples.find((e) => e.action === 'created'));
  if (!payload) throw new Error('no issue_comment example');
  return Buffer.from(JSON.stringify({ ...payload, installation: { id: 1, node_id: 'I_1' } }));
}

export function signatureOf(body: Buffer, secret = WEBHOOK_BENCH_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

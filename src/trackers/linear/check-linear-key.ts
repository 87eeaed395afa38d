import { LinearClient } from '@linear/sdk';
import { z } from 'zod';
import { invalidAnswer, toTrackerError } from './linear-errors.js';

/** Who a Linear API key acts as and which teams it reaches: what `npm run setup` shows before writing the key. */
export interface LinearKeyCheck {
  viewer: { id: string; name: string; email: string };
  teams: { key: string; name: string }[];
}

// Only the fields shown; the SDK's model queries would ask for every field of both types.
const CHECK_QUERY = 'query SetupCheck { viewer { id name email } teams(first: 50) { nodes { key name } } }';
const checkSchema = z.object({
  viewer: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  teams: z.object({ nodes: z.array(z.object({ key: z.string(), name: z.string() })) }),
});

/**
 * Asks Linear `viewer { id name email }` and the first page of teams with the
 * key. Failures come out as the project's errors: AuthError for a refused
 * key, ExternalServiceError when Linear cannot be reached.
 */
export async function checkLinearKey(options: { apiKey: string; apiUrl?: string; now?: () => number }): Promise<LinearKeyCheck> {
  const client = new LinearClient({ apiKey: options.apiKey, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  let data: unknown;
  try {
    data = (await client.client.rawRequest<unknown, Record<string, unknown>>(CHECK_QUERY, {})).data;
  } catch (error) {
    throw toTrackerError(error, options.now ?? Date.now);
  }
  const parsed = checkSchema.safeParse(data);
  if (!parsed.success) throw invalidAnswer('viewer and teams', parsed.error);
  return { viewer: parsed.data.viewer, teams: parsed.data.teams.nodes };
}

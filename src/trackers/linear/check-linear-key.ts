import { LinearClient } from '@linear/sdk';
import { toTrackerError } from './linear-errors.js';

/** Who a Linear API key acts as and which teams it reaches: what `npm run setup` shows before writing the key. */
export interface LinearKeyCheck {
  viewer: { id: string; name: string; email: string };
  teams: { key: string; name: string }[];
}

/**
 * Asks Linear `viewer { id name email }` and the first page of teams with the
 * key. Failures come out as the project's errors: AuthError for a refused
 * key, ExternalServiceError when Linear cannot be reached.
 */
export async function checkLinearKey(options: { apiKey: string; apiUrl?: string; now?: () => number }): Promise<LinearKeyCheck> {
  const client = new LinearClient({ apiKey: options.apiKey, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  try {
    const viewer = await client.viewer;
    const teams = await client.teams({ first: 50 });
    return {
      viewer: { id: viewer.id, name: viewer.name, email: viewer.email },
      teams: teams.nodes.map((t) => ({ key: t.key, name: t.name })),
    };
  } catch (error) {
    throw toTrackerError(error, options.now ?? Date.now);
  }
}

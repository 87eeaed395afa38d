import { Version3Client } from 'jira.js';
import { z } from 'zod';
import { invalidAnswer, toTrackerError } from './jira-errors.js';

/** Who the Jira credentials act as and which projects they can browse: what `npm run setup` shows before writing them. */
export interface JiraCredentialsCheck {
  myself: { accountId: string; displayName: string; emailAddress: string | undefined };
  projects: { key: string; name: string }[];
  /** More projects than the first page lists. */
  moreProjects: boolean;
}

const myselfSchema = z.object({ accountId: z.string(), displayName: z.string().optional(), emailAddress: z.string().optional() });
const projectPage = z.object({ values: z.array(z.object({ key: z.string(), name: z.string() })).optional(), isLast: z.boolean().optional() });

/**
 * `GET /rest/api/3/myself`, then the first page of `project/search`, with HTTP
 * basic auth. A refused email/token pair is an AuthError; a site that does not
 * answer an ExternalServiceError.
 */
export async function checkJiraCredentials(options: { host: string; email: string; apiToken: string; now?: () => number }): Promise<JiraCredentialsCheck> {
  const client = new Version3Client({ host: options.host, authentication: { basic: { email: options.email, apiToken: options.apiToken } } });
  const now = options.now ?? Date.now;
  let me: unknown;
  let page: unknown;
  try {
    me = await client.myself.getCurrentUser();
    page = await client.projects.searchProjects({ maxResults: 50 });
  } catch (error) {
    throw toTrackerError(error, now);
  }
  const myself = myselfSchema.safeParse(me);
  const projects = projectPage.safeParse(page);
  if (!myself.success) throw invalidAnswer('myself', myself.error);
  if (!projects.success) throw invalidAnswer('project/search', projects.error);
  return {
    myself: { accountId: myself.data.accountId, displayName: myself.data.displayName ?? myself.data.accountId, emailAddress: myself.data.emailAddress },
    projects: (projects.data.values ?? []).map((p) => ({ key: p.key, name: p.name })),
    moreProjects: projects.data.isLast === false,
  };
}

import { AuthError, NotFoundError } from '../errors/index.js';
import { checkJiraCredentials, type JiraCredentialsCheck } from '../trackers/jira/index.js';
import { fingerprint, generate } from './env-file.js';
import { answer, checkBaseUrl, NOTHING, plain, SetupFailure, type SetupContext, type StepResult } from './setup-context.js';

const ATTEMPTS = 3;
const TOKEN_PAGE = 'https://id.atlassian.com/manage-profile/security/api-tokens';

/** The sentence for credentials Jira did not accept, or a site that did not answer. */
export function jiraFailureSentence(error: unknown, host: string, email: string): string {
  if (error instanceof AuthError) {
    return `Jira at ${host} refused the e-mail and API token (401/403): the token must belong to ${email} and be copied whole; create one at ${TOKEN_PAGE}.`;
  }
  if (error instanceof NotFoundError) return `${host} answered 404 for the Jira REST API: give the site's root URL, e.g. https://acme.atlassian.net.`;
  const cause = (error as Error).cause instanceof Error ? ` (${((error as Error).cause as Error).message})` : '';
  return `Jira could not be reached at ${host}${cause}: check the site URL (e.g. https://acme.atlassian.net) and this machine's network access to it.`;
}

/**
 * Jira Cloud: site URL, e-mail and API token, checked with `myself` and the
 * projects they can browse; the webhook secret is generated (Jira's webhook
 * form takes one) and the person is told where to paste it.
 */
export async function connectJira(ctx: SetupContext, publicUrl: string): Promise<StepResult> {
  const { options, say } = ctx;
  if (options.skipJira) return NOTHING;
  say('');
  say('== Jira ==');
  let host = '';
  let email = '';
  let apiToken = '';
  let check: JiraCredentialsCheck | undefined;
  const fromOptions = options.jiraBaseUrl !== undefined || options.jiraApiToken !== undefined;
  for (let attempt = 1; !check; attempt += 1) {
    const rawHost = await answer(ctx, attempt === 1 ? options.jiraBaseUrl : undefined, 'Jira site URL, e.g. https://acme.atlassian.net (empty to skip Jira)');
    if (!rawHost) {
      say('Jira skipped: tickets come from Linear only (run setup again to add it).');
      return NOTHING;
    }
    try {
      host = checkBaseUrl(rawHost, 'The Jira site URL (--jira-base-url)', 'https://acme.atlassian.net', { httpsUnlessLoopback: true });
      email = await answer(ctx, attempt === 1 ? options.jiraEmail : undefined, 'E-mail of the Jira account AI-Implement acts as');
      if (!email) throw new SetupFailure('The Jira e-mail (--jira-email) is required with a Jira site: the account the API token belongs to, e.g. ai-implement@acme.com');
      apiToken = await answer(ctx, attempt === 1 ? options.jiraApiToken : undefined, `Jira API token of ${email} (${TOKEN_PAGE})`, { secret: true });
      if (!apiToken) throw new SetupFailure(`The Jira API token (--jira-api-token) is required with a Jira site: create one at ${TOKEN_PAGE}`);
      check = await checkJiraCredentials({ host, email, apiToken });
    } catch (error) {
      const sentence = error instanceof SetupFailure ? error.message : jiraFailureSentence(error, host, email);
      if (!ctx.prompter.interactive || fromOptions || attempt >= ATTEMPTS) throw new SetupFailure(sentence);
      say(sentence);
    }
  }
  say(`Jira credentials accepted (token ${fingerprint(apiToken)}): acts as ${plain(check.myself.displayName)}${check.myself.emailAddress ? ` <${plain(check.myself.emailAddress)}>` : ''}.`);
  say(
    check.projects.length > 0
      ? `It can browse ${check.projects.length}${check.moreProjects ? '+' : ''} project${check.projects.length === 1 ? '' : 's'}: ${check.projects.map((p) => `${plain(p.key)} (${plain(p.name)})`).join(', ')}.`
      : 'It can browse no project yet: give the account the Browse Projects permission on the projects whose tickets it should take.',
  );
  const hookUrl = `${publicUrl}/webhooks/jira`;
  const secret = options.jiraWebhookSecret ?? generate.hexSecret();
  say(`JIRA_WEBHOOK_SECRET ${options.jiraWebhookSecret ? 'given' : 'generated'} (${fingerprint(secret)}).`);
  return {
    entries: [
      { name: 'JIRA_HOST', value: host, note: `Jira: acts as ${plain(check.myself.displayName)}` },
      { name: 'JIRA_EMAIL', value: email },
      { name: 'JIRA_API_TOKEN', value: apiToken },
      { name: 'JIRA_WEBHOOK_SECRET', value: secret },
    ],
    replaces: [],
    nextSteps: [`Jira: in System → WebHooks create a webhook with URL ${hookUrl}, issue and comment events, and as its Secret the JIRA_WEBHOOK_SECRET from the env file.`],
  };
}

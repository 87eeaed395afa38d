import { AuthError } from '../errors/index.js';
import { checkLinearKey, type LinearKeyCheck } from '../trackers/linear/index.js';
import { fingerprint } from './env-file.js';
import { answer, NOTHING, plain, SetupFailure, type SetupContext, type StepResult } from './setup-context.js';

const DEFAULT_API_URL = 'https://api.linear.app/graphql';
const ATTEMPTS = 3;

/** The sentence for a key Linear did not accept, or could not be asked about. */
export function linearFailureSentence(error: unknown, apiUrl: string): string {
  if (error instanceof AuthError) {
    return 'Linear refused the API key (401): it is mistyped, revoked or not a personal API key; create one in Linear → Settings → Security & access → Personal API keys and paste all of it, e.g. lin_api_AbC123…';
  }
  const cause = (error as Error).cause instanceof Error ? ` (${((error as Error).cause as Error).message})` : '';
  return `Linear could not be reached at ${apiUrl}${cause}: check this machine's network access to it, or --linear-api-url if Linear is reached through another address.`;
}

/**
 * Linear: a personal API key, checked with `viewer` and the teams it reaches;
 * then the signing secret of the webhook, which Linear shows once the webhook
 * is created (so it is asked for, not generated).
 */
export async function connectLinear(ctx: SetupContext, publicUrl: string): Promise<StepResult> {
  const { options, say } = ctx;
  if (options.skipLinear) return NOTHING;
  say('');
  say('== Linear ==');
  const apiUrl = options.linearApiUrl ?? DEFAULT_API_URL;
  let given = options.linearApiKey;
  let check: LinearKeyCheck | undefined;
  let apiKey = '';
  for (let attempt = 1; !check; attempt += 1) {
    apiKey = await answer(ctx, given, 'Linear personal API key (Settings → Security & access → Personal API keys; empty to skip Linear)', { secret: true });
    if (!apiKey) {
      say('Linear skipped: tickets come from Jira only (run setup again to add it).');
      return NOTHING;
    }
    try {
      check = await checkLinearKey({ apiKey, apiUrl });
    } catch (error) {
      const sentence = linearFailureSentence(error, apiUrl);
      if (!ctx.prompter.interactive || options.linearApiKey !== undefined || attempt >= ATTEMPTS) throw new SetupFailure(sentence);
      say(sentence);
      given = undefined;
    }
  }
  say(`Linear key accepted (${fingerprint(apiKey)}): acts as ${plain(check.viewer.name)} <${plain(check.viewer.email)}>.`);
  say(check.teams.length > 0 ? `It reaches ${check.teams.length} team${check.teams.length === 1 ? '' : 's'}: ${check.teams.map((t) => `${plain(t.key)} (${plain(t.name)})`).join(', ')}.` : 'It reaches no team yet: give the user access to the teams whose tickets it should take.');

  const hookUrl = `${publicUrl}/webhooks/linear`;
  say(`Create the webhook in Linear → Settings → API → Webhooks: URL ${hookUrl}, data change events for Issues and Comments; Linear then shows its signing secret.`);
  const secret = await answer(ctx, options.linearWebhookSecret, 'Linear webhook signing secret (empty to add it later)', { secret: true });
  const entries = [
    { name: 'LINEAR_API_KEY', value: apiKey, note: `Linear: acts as ${plain(check.viewer.name)}` },
    ...(apiUrl !== DEFAULT_API_URL ? [{ name: 'LINEAR_API_URL', value: apiUrl }] : []),
    ...(secret ? [{ name: 'LINEAR_WEBHOOK_SECRET', value: secret }] : []),
  ];
  return {
    entries,
    replaces: ['LINEAR_API_KEY', 'LINEAR_API_URL'],
    nextSteps: secret ? [] : [`Linear: create the webhook at ${hookUrl} and put its signing secret in LINEAR_WEBHOOK_SECRET (until then /webhooks/linear answers 503 and tickets arrive by polling).`],
  };
}

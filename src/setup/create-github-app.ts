import { join } from 'node:path';
import { gheHostProblems, githubEndpoints, type GitHubProtocol } from '../config/github-endpoints.js';
import { AuthError, NotFoundError } from '../errors/index.js';
import { checkAppCredentials, createAppFromManifest, type CreatedGitHubApp } from '../github/api/create-app-from-manifest.js';
import { fingerprint, generate, writeSecretFile } from './env-file.js';
import { buildGitHubAppManifest } from './github-app-manifest.js';
import { startManifestFlow } from './manifest-flow-server.js';
import { answer, NOTHING, plain, SetupFailure, type SetupContext, type StepResult } from './setup-context.js';

const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export interface GitHubStepInputs {
  publicUrl: string;
  appYml: string;
  /** Where the private key file goes (next to the env file). */
  directory: string;
  /** How long to wait for the person to create the App. */
  timeoutMs?: number;
}

/**
 * The GitHub App, through GitHub's manifest flow: a local page posts the
 * manifest (from app.yml) to GitHub, the person confirms, GitHub sends them
 * back with a one-time code, and the code is exchanged for the App's id,
 * private key and webhook secret. The key is saved at once (GitHub shows it
 * only this one time) and checked by signing a JWT with it.
 */
export async function createGitHubApp(ctx: SetupContext, inputs: GitHubStepInputs): Promise<StepResult> {
  const { options, say } = ctx;
  if (options.skipGitHub) return NOTHING;
  say('');
  say('== GitHub App ==');
  if (ctx.prompter.interactive && !(await ctx.prompter.confirm('Create the GitHub App now (from app.yml, through your browser)?', true))) {
    say('GitHub App skipped: without APP_ID the server runs in sandbox mode.');
    return NOTHING;
  }
  const gheHost = (await answer(ctx, options.gheHost, 'GitHub Enterprise host, e.g. github.example.com (empty for github.com)')) || undefined;
  const protocolText = options.gheProtocol ?? 'https';
  if (protocolText !== 'http' && protocolText !== 'https') throw new SetupFailure(`--ghe-protocol must be http or https (got "${protocolText}"), e.g. --ghe-protocol https`);
  const protocol: GitHubProtocol = protocolText;
  const hostProblem = gheHostProblems(gheHost, protocol)[0];
  if (hostProblem) throw new SetupFailure(`${hostProblem.replace(/^GHE_HOST/, 'The GitHub Enterprise host (--ghe-host, GHE_HOST)')}`);
  const endpoints = githubEndpoints(gheHost, protocol);
  const org = (await answer(ctx, options.githubOrg, 'Organization to own the App (empty for your personal account)')) || undefined;
  if (org && !ORG_LOGIN.test(org)) throw new SetupFailure(`The organization (--github-org) must be a GitHub login: letters, digits and hyphens (got "${org}"), e.g. --github-org acme`);
  const name = await answer(ctx, options.appName, 'Name of the GitHub App (unique on GitHub)', { fallback: buildGitHubAppManifest({ appYml: inputs.appYml, publicUrl: inputs.publicUrl, redirectUrl: inputs.publicUrl }).name });

  const newAppUrl = `${endpoints.webUrl}${org ? `/organizations/${encodeURIComponent(org)}` : ''}/settings/apps/new`;
  const flow = await startManifestFlow({
    newAppUrl,
    manifest: (callbackUrl) => buildGitHubAppManifest({ appYml: inputs.appYml, publicUrl: inputs.publicUrl, redirectUrl: callbackUrl, name }),
    port: options.manifestPort,
    ...(inputs.timeoutMs !== undefined ? { timeoutMs: inputs.timeoutMs } : {}),
    onRefused: (sentence) => say(sentence),
  });
  let app: CreatedGitHubApp;
  try {
    say(`Open this page in a browser signed in to ${endpoints.webUrl} as ${org ? `an owner of ${org}` : 'the account that will own the App'}:`);
    say(`  ${flow.localUrl}`);
    say(`It sends the manifest to ${newAppUrl}; confirm there with "Create GitHub App". Waiting for GitHub to send you back…`);
    const code = await flow.code;
    app = await exchange(code, endpoints.apiBaseUrl);
  } finally {
    await flow.close();
  }

  // The key exists nowhere else: save it before anything else can fail.
  const keyPath = join(inputs.directory, `github-app-${app.id}.private-key.pem`);
  writeSecretFile(keyPath, app.pem);
  say(`GitHub App "${plain(app.name)}" created: id ${app.id}, slug ${plain(app.slug)}${app.owner ? `, owned by ${plain(app.owner)}` : ''}.`);
  say(`Private key saved to ${keyPath} (mode 600, ${fingerprint(app.pem)}).`);
  try {
    await checkAppCredentials(app.id, app.pem, endpoints.apiBaseUrl);
    say('The private key signs App JWTs GitHub accepts (GET /app answered).');
  } catch (error) {
    throw new SetupFailure(`GitHub refused the new App's own key (${(error as Error).message}); the key is saved at ${keyPath}: check the App at ${app.htmlUrl} and run setup again with --skip-github, setting APP_ID=${app.id} and PRIVATE_KEY_PATH by hand.`);
  }
  const webhookSecret = app.webhookSecret ?? generate.hexSecret();
  say(`GITHUB_WEBHOOK_SECRET ${app.webhookSecret ? 'from GitHub' : 'generated'} (${fingerprint(webhookSecret)}).`);
  const installUrl = `${app.htmlUrl}/installations/new`;
  say(`Install the App on the repositories it should work on: ${installUrl}`);
  const nextSteps = [`GitHub: install the App on your repositories: ${installUrl}`];
  if (!app.webhookSecret) nextSteps.push(`GitHub: GitHub made no webhook secret; set the generated GITHUB_WEBHOOK_SECRET from the env file as the App's webhook secret at ${app.htmlUrl}.`);
  return {
    entries: [
      { name: 'APP_ID', value: String(app.id), note: `GitHub App ${plain(app.slug)}: ${app.htmlUrl}` },
      { name: 'PRIVATE_KEY_PATH', value: keyPath },
      { name: 'GITHUB_WEBHOOK_SECRET', value: webhookSecret },
      ...(gheHost ? [{ name: 'GHE_HOST', value: gheHost }] : []),
      ...(gheHost && protocol !== 'https' ? [{ name: 'GHE_PROTOCOL', value: protocol }] : []),
    ],
    // A new App replaces every trace of an old one, including a PEM given inline.
    replaces: ['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'GITHUB_WEBHOOK_SECRET', 'WEBHOOK_SECRET', 'GHE_HOST', 'GHE_PROTOCOL'],
    nextSteps,
  };
}

async function exchange(code: string, apiBaseUrl: string): Promise<CreatedGitHubApp> {
  try {
    return await createAppFromManifest(code, apiBaseUrl);
  } catch (error) {
    if (error instanceof NotFoundError) throw new SetupFailure('GitHub did not accept the code it sent back (a code works once, within an hour): run setup again and create the App from the new page.');
    if (error instanceof AuthError) throw new SetupFailure(`GitHub refused to hand over the new App's credentials (${error.message}): run setup again.`);
    throw new SetupFailure(`The App was created but its credentials could not be fetched from ${apiBaseUrl} (${(error as Error).message}): delete the App in GitHub's settings and run setup again.`);
  }
}

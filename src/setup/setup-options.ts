/**
 * The answers `npm run setup` can take from flags or the environment instead
 * of asking; with `--non-interactive` it asks nothing and uses only these.
 * Flags beat environment variables. Names of config variables (LINEAR_API_KEY,
 * JIRA_HOST, …) are read as they are; the rest have a SETUP_ name.
 */

export interface SetupOptions {
  nonInteractive: boolean;
  help: boolean;
  /** Back up and replace an existing env file without asking. */
  overwrite: boolean;
  envFile: string;
  publicUrl: string | undefined;
  skipGitHub: boolean;
  appName: string | undefined;
  githubOrg: string | undefined;
  gheHost: string | undefined;
  gheProtocol: string | undefined;
  /** Port of the local page of the manifest flow (0 = any free port). */
  manifestPort: number;
  skipLinear: boolean;
  linearApiKey: string | undefined;
  linearApiUrl: string | undefined;
  linearWebhookSecret: string | undefined;
  skipJira: boolean;
  jiraBaseUrl: string | undefined;
  jiraEmail: string | undefined;
  jiraApiToken: string | undefined;
  jiraWebhookSecret: string | undefined;
  runnerMode: string | undefined;
}

type Kind = 'text' | 'flag';

interface OptionSpec {
  flag: string;
  key: keyof SetupOptions;
  kind: Kind;
  env?: string;
  help: string;
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  { flag: 'non-interactive', key: 'nonInteractive', kind: 'flag', help: 'ask nothing; answers come from these flags and the environment' },
  { flag: 'env-file', key: 'envFile', kind: 'text', env: 'SETUP_ENV_FILE', help: 'the file to write (default .env)' },
  { flag: 'overwrite', key: 'overwrite', kind: 'flag', help: 'back up an existing env file to .env.bak-<time> and replace it' },
  { flag: 'public-url', key: 'publicUrl', kind: 'text', env: 'SETUP_PUBLIC_URL', help: 'the https URL the orchestrator will be reached at, e.g. https://ai-implement.example.com' },
  { flag: 'skip-github', key: 'skipGitHub', kind: 'flag', help: 'do not create a GitHub App (the server then runs in sandbox mode)' },
  { flag: 'app-name', key: 'appName', kind: 'text', env: 'SETUP_APP_NAME', help: 'name of the GitHub App (default: the name in app.yml)' },
  { flag: 'github-org', key: 'githubOrg', kind: 'text', env: 'SETUP_GITHUB_ORG', help: 'create the App for this organization instead of your account' },
  { flag: 'ghe-host', key: 'gheHost', kind: 'text', env: 'GHE_HOST', help: 'GitHub Enterprise host, e.g. github.example.com or octocorp.ghe.com' },
  { flag: 'ghe-protocol', key: 'gheProtocol', kind: 'text', env: 'GHE_PROTOCOL', help: 'http or https (default https)' },
  { flag: 'manifest-port', key: 'manifestPort', kind: 'text', env: 'SETUP_MANIFEST_PORT', help: 'port of the local page that starts the App registration (default: any free port)' },
  { flag: 'skip-linear', key: 'skipLinear', kind: 'flag', help: 'do not connect Linear' },
  { flag: 'linear-api-key', key: 'linearApiKey', kind: 'text', env: 'LINEAR_API_KEY', help: 'a Linear personal API key (lin_api_…)' },
  { flag: 'linear-api-url', key: 'linearApiUrl', kind: 'text', env: 'LINEAR_API_URL', help: 'Linear GraphQL endpoint (default https://api.linear.app/graphql)' },
  { flag: 'linear-webhook-secret', key: 'linearWebhookSecret', kind: 'text', env: 'LINEAR_WEBHOOK_SECRET', help: 'signing secret of the Linear webhook' },
  { flag: 'skip-jira', key: 'skipJira', kind: 'flag', help: 'do not connect Jira' },
  { flag: 'jira-base-url', key: 'jiraBaseUrl', kind: 'text', env: 'JIRA_HOST', help: 'Jira Cloud site URL, e.g. https://acme.atlassian.net' },
  { flag: 'jira-email', key: 'jiraEmail', kind: 'text', env: 'JIRA_EMAIL', help: 'e-mail of the Jira account' },
  { flag: 'jira-api-token', key: 'jiraApiToken', kind: 'text', env: 'JIRA_API_TOKEN', help: 'API token of that account' },
  { flag: 'jira-webhook-secret', key: 'jiraWebhookSecret', kind: 'text', env: 'JIRA_WEBHOOK_SECRET', help: 'secret of the Jira webhook (default: generated)' },
  { flag: 'runner-mode', key: 'runnerMode', kind: 'text', env: 'RUNNER_MODE', help: 'default, gha, fly, local or shadow (default: unset, chosen in /admin)' },
  { flag: 'help', key: 'help', kind: 'flag', help: 'this text' },
];

export const USAGE = `usage: npm run setup [-- options]
Creates the GitHub App from app.yml, connects Linear and Jira, and writes .env.
${OPTION_SPECS.map((s) => `  --${s.flag}${s.kind === 'text' ? ' <value>' : ''}`.padEnd(34) + s.help + (s.env ? ` [${s.env}]` : '')).join('\n')}`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Reads `--name value`, `--name=value` and boolean `--name`; an unknown flag is a UsageError naming it. */
export function parseSetupOptions(argv: readonly string[], env: Record<string, string | undefined>): SetupOptions {
  const given = new Map<keyof SetupOptions, string | boolean>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const spec = match ? OPTION_SPECS.find((s) => s.flag === match[1]) : undefined;
    if (!match || !spec) throw new UsageError(`unknown option "${arg}"; e.g. npm run setup -- --public-url https://ai-implement.example.com (see --help)`);
    if (spec.kind === 'flag') {
      if (match[2] !== undefined) throw new UsageError(`--${spec.flag} takes no value (got "${match[2]}"); write just --${spec.flag}`);
      given.set(spec.key, true);
      continue;
    }
    const value = match[2] ?? argv[i + 1];
    if (match[2] === undefined) i += 1;
    if (value === undefined || (match[2] === undefined && value.startsWith('--'))) throw new UsageError(`--${spec.flag} needs a value, e.g. --${spec.flag} ${exampleOf(spec)}`);
    given.set(spec.key, value);
  }
  const text = (key: keyof SetupOptions): string | undefined => {
    const spec = OPTION_SPECS.find((s) => s.key === key);
    const value = given.get(key) ?? (spec?.env ? env[spec.env] : undefined);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const flag = (key: keyof SetupOptions): boolean => given.get(key) === true;
  const port = text('manifestPort');
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) > 65535)) throw new UsageError(`--manifest-port must be a port number from 0 to 65535 (got "${port}"), e.g. --manifest-port 3900`);
  return {
    nonInteractive: flag('nonInteractive'),
    help: flag('help'),
    overwrite: flag('overwrite'),
    envFile: text('envFile') ?? '.env',
    publicUrl: text('publicUrl'),
    skipGitHub: flag('skipGitHub'),
    appName: text('appName'),
    githubOrg: text('githubOrg'),
    gheHost: text('gheHost'),
    gheProtocol: text('gheProtocol'),
    manifestPort: port === undefined ? 0 : Number(port),
    skipLinear: flag('skipLinear'),
    linearApiKey: text('linearApiKey'),
    linearApiUrl: text('linearApiUrl'),
    linearWebhookSecret: text('linearWebhookSecret'),
    skipJira: flag('skipJira'),
    jiraBaseUrl: text('jiraBaseUrl'),
    jiraEmail: text('jiraEmail'),
    jiraApiToken: text('jiraApiToken'),
    jiraWebhookSecret: text('jiraWebhookSecret'),
    runnerMode: text('runnerMode'),
  };
}

function exampleOf(spec: OptionSpec): string {
  const m = /e\.g\. (\S+)/.exec(spec.help);
  return m?.[1] ?? '<value>';
}

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CONFIG_VARIABLES, loadConfig, RUNNER_MODES } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { connectJira } from './connect-jira.js';
import { connectLinear } from './connect-linear.js';
import { createGitHubApp } from './create-github-app.js';
import { fileTimestamp, fingerprint, generate, readEnvFile, renderEnvFile, writeEnvFile, type EnvEntry } from './env-file.js';
import { InputEndedError, NonInteractivePrompter, ReadlinePrompter, type Prompter } from './prompter.js';
import { answer, checkBaseUrl, SetupFailure, type SetupContext, type StepResult } from './setup-context.js';
import { parseSetupOptions, USAGE, UsageError } from './setup-options.js';

export interface RunSetupOptions {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Relative paths (the env file) are resolved against it. */
  cwd: string;
  /** app.yml as text: the App's permissions and events. */
  appYml: string;
  now?: () => Date;
  /** How long the manifest flow waits for the person (default 15 minutes). */
  manifestTimeoutMs?: number;
}

/** Generated once and then kept: replacing SECRETS_ENCRYPTION_KEY would make every sealed secret unreadable. */
const GENERATED: readonly { name: string; make: () => string; what: string }[] = [
  { name: 'SECRETS_ENCRYPTION_KEY', make: generate.aesKey, what: 'seals the secrets runs receive; keep it, or they cannot be opened' },
  { name: 'ADMIN_ACCESS_CODE', make: generate.accessCode, what: 'signs you in to /admin and /api' },
  { name: 'RUNNER_TOKEN_SECRET', make: generate.hexSecret, what: 'signs the tokens runners call back with' },
  { name: 'GAP_FILL_TRIGGER_SECRET', make: generate.hexSecret, what: 'bearer secret of POST /trigger/gap-fill' },
];
const SECRET_NAMES = new Set(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name));

/** `npm run setup`: returns the exit code (0 written and valid, 1 a step failed or the config is invalid, 2 bad usage). */
export async function runSetup(options: RunSetupOptions): Promise<number> {
  const say = (line: string) => void options.output.write(`${line}\n`);
  let parsed;
  try {
    parsed = parseSetupOptions(options.argv, options.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    options.output.write(`setup: ${error.message}\n`);
    return 2;
  }
  if (parsed.help) {
    say(USAGE);
    return 0;
  }
  const prompter: Prompter = parsed.nonInteractive ? new NonInteractivePrompter() : new ReadlinePrompter(options.input, options.output);
  const ctx: SetupContext = { options: parsed, prompter, say, now: options.now ?? (() => new Date()) };
  try {
    return await setUp(ctx, options);
  } catch (error) {
    if (error instanceof SetupFailure || error instanceof InputEndedError) {
      say(`setup: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    prompter.close();
  }
}

async function setUp(ctx: SetupContext, run: RunSetupOptions): Promise<number> {
  const { options, say } = ctx;
  const envPath = resolve(run.cwd, options.envFile);
  say(`AI-Implement setup: writes ${envPath}. Secrets are shown by length and hash only.`);

  // Before anything is created anywhere: may the file be written at all?
  if (existsSync(envPath)) {
    const replace = options.overwrite || (await ctx.prompter.confirm(`${envPath} already exists. Back it up to ${options.envFile}.bak-<time> and write a new one?`, false));
    if (!replace) {
      throw new SetupFailure(`${envPath} already exists and was left as it is: run setup again and confirm, pass --overwrite to back it up to ${envPath}.bak-${fileTimestamp(ctx.now())} and replace it, or write elsewhere with --env-file, e.g. --env-file .env.new`);
    }
  }
  const previous = readEnvFile(envPath);

  const rawUrl = await answer(ctx, options.publicUrl, 'Public URL of this orchestrator (GitHub, Linear, Jira and runners reach it), e.g. https://ai-implement.example.com');
  if (!rawUrl) throw new SetupFailure('The public URL (--public-url) is required: the https address GitHub, Linear, Jira and the runners will reach the orchestrator at, e.g. --public-url https://ai-implement.example.com');
  const publicUrl = checkBaseUrl(rawUrl, 'The public URL (--public-url)', 'https://ai-implement.example.com', { httpsUnlessLoopback: true });
  if (options.runnerMode !== undefined && !(RUNNER_MODES as readonly string[]).includes(options.runnerMode)) {
    throw new SetupFailure(`--runner-mode must be one of ${RUNNER_MODES.join(', ')} (got "${options.runnerMode}"), e.g. --runner-mode gha`);
  }

  // Credentials that are only checked come first, so a refused key stops setup before an App exists.
  const linear = await connectLinear(ctx, publicUrl);
  const jira = await connectJira(ctx, publicUrl);
  const github = await createGitHubApp(ctx, { publicUrl, appYml: run.appYml, directory: dirname(envPath), ...(run.manifestTimeoutMs !== undefined ? { timeoutMs: run.manifestTimeoutMs } : {}) });

  const entries = assemble(ctx, publicUrl, previous, [github, linear, jira]);
  let text: string;
  try {
    text = renderEnvFile(entries, ctx.now());
  } catch (error) {
    throw new SetupFailure((error as Error).message);
  }
  const { backup } = writeEnvFile(envPath, text, ctx.now());
  say('');
  if (backup) say(`The previous file is saved as ${backup}.`);
  say(`Wrote ${envPath} (mode 600):`);
  for (const entry of entries) say(`  ${entry.name}=${SECRET_NAMES.has(entry.name) ? `<${fingerprint(entry.value)}>` : entry.value}`);

  // The file as the server will read it, through the server's own loader.
  try {
    const config = loadConfig(readEnvFile(envPath));
    say(`The configuration loader accepts it${config.sandbox ? ' (sandbox mode: no GitHub App is set)' : ''}.`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(`The configuration loader refuses ${envPath}; fix these lines and start again:`);
    for (const problem of error.problems) say(`  - ${problem}`);
    return 1;
  }
  printNextSteps(ctx, publicUrl, envPath, [github, linear, jira]);
  return 0;
}

/** The new file: setup's values, the generated secrets (kept when the old file had them), then the old file's other lines. */
function assemble(ctx: SetupContext, publicUrl: string, previous: Record<string, string>, steps: StepResult[]): EnvEntry[] {
  const entries: EnvEntry[] = [];
  const set = new Set<string>();
  const push = (entry: EnvEntry) => {
    if (set.has(entry.name)) return;
    set.add(entry.name);
    entries.push(entry);
  };
  if (publicUrl.startsWith('https://')) push({ name: 'NODE_ENV', value: 'production' });
  push({ name: 'RUNNER_CALLBACK_BASE_URL', value: publicUrl, note: `Reached at ${publicUrl}` });
  if (ctx.options.runnerMode) push({ name: 'RUNNER_MODE', value: ctx.options.runnerMode });
  for (const step of steps) for (const entry of step.entries) push(entry);
  for (const generated of GENERATED) {
    const kept = keepable(generated.name, previous[generated.name]);
    push({ name: generated.name, value: kept || generated.make(), note: `${kept ? 'Kept from the previous file' : 'Generated'}: ${generated.what}` });
    ctx.say(`${generated.name} ${kept ? 'kept from the previous file' : 'generated'} (${fingerprint(kept || entries[entries.length - 1]!.value)}).`);
  }
  const stale = new Set(steps.flatMap((s) => s.replaces));
  const rest = Object.entries(previous).filter(([name]) => !set.has(name) && !stale.has(name));
  rest.forEach(([name, value], i) => push({ name, value, ...(i === 0 ? { note: 'Kept from the previous file' } : {}) }));
  return entries;
}

/** The previous file's value when the config schema takes it (a too-short access code is made anew). */
function keepable(name: string, value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  const variable = CONFIG_VARIABLES.find((v) => v.name === name);
  return trimmed && variable?.schema.safeParse(trimmed).success ? trimmed : undefined;
}

function printNextSteps(ctx: SetupContext, publicUrl: string, envPath: string, steps: StepResult[]): void {
  const { say } = ctx;
  const lines = [
    ...steps.flatMap((s) => s.nextSteps),
    `Start the server with it: npm run build && node --env-file=${envPath} dist/src/main.js (Docker: --env-file with the private key mounted, docs/deploy-docker.md; Fly.io: docs/deploy-fly.md).`,
    `Sign in at ${publicUrl}/admin with the ADMIN_ACCESS_CODE from the env file, then map repositories to projects and pick a runner mode.`,
  ];
  say('');
  say('Next steps:');
  lines.forEach((line, i) => say(`  ${i + 1}. ${line}`));
}

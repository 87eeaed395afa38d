#!/usr/bin/env node
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/index.js';
import { runDoctorCommand } from './doctor-command.js';
import { OrchestratorClient } from './orchestrator-client.js';
import { resolveRunnerCredentials } from './resolve-runner-credentials.js';
import { runJob } from './run-job.js';
import { agentRetryFrom } from './run-agent-step.js';
import { createRunnerLog } from './runner-log.js';
import { defaultRunnerRoots } from './runner-roots.js';

const USAGE = `Usage: ai-implement-runner [options]
       ai-implement-runner doctor [--json]

Runs one AI-Implement job: fetches the job spec, runs its pipeline, reports
progress and posts the result to the orchestrator.

Options:
  --url <url>          orchestrator base URL (env AI_IMPLEMENT_URL)
  --run-id <id>        run id (env AI_IMPLEMENT_RUN_ID)
  --workdir <dir>      scratch directory (env AI_IMPLEMENT_WORKDIR; a new temp dir by default)
  --custom-dir <dir>   overrides directory (env AI_IMPLEMENT_CUSTOM_DIR; <install>/custom by default)
  --project-root <dir> where pipelines/ lives (env AI_IMPLEMENT_PROJECT_ROOT)
  -h, --help           this text

doctor: which agent CLIs are installed (versions) and which credential
variables each provider sees (names only); see ai-implement-runner doctor -h.

Tokens: AI_IMPLEMENT_PROGRESS_TOKEN and AI_IMPLEMENT_RESULT_TOKEN, or, inside
GitHub Actions with id-token: write, an OIDC exchange at POST /runner/token.
Exit codes: 0 succeeded, 1 failed, 2 bad configuration.`;

/** Exit codes: 0 the run succeeded; 1 it failed (or the result could not be delivered); 2 the runner was misconfigured. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === 'doctor') return runDoctorCommand(argv.slice(1), env, (text) => process.stdout.write(`${text}\n`));
  const log = createRunnerLog((line) => process.stderr.write(`${line}\n`));
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        'run-id': { type: 'string' },
        workdir: { type: 'string' },
        'custom-dir': { type: 'string' },
        'project-root': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const credentials = await resolveRunnerCredentials({
      env,
      ...(args.url ? { url: args.url } : {}),
      ...(args['run-id'] ? { runId: args['run-id'] } : {}),
    });
    log.addSecret(credentials.progressToken);
    log.addSecret(credentials.resultToken);
    log.info('runner starting', { runId: credentials.runId, orchestrator: credentials.url, tokens: credentials.source });
    const projectRoot = args['project-root'] ?? env.AI_IMPLEMENT_PROJECT_ROOT;
    const roots = defaultRunnerRoots(projectRoot, args['custom-dir'] ?? env.AI_IMPLEMENT_CUSTOM_DIR);
    const workdir = args.workdir ?? env.AI_IMPLEMENT_WORKDIR ?? (await mkdtemp(join(env.RUNNER_TEMP ?? tmpdir(), 'ai-implement-')));
    await mkdir(workdir, { recursive: true });
    const channel = new OrchestratorClient({ baseUrl: credentials.url, progressToken: credentials.progressToken, resultToken: credentials.resultToken, log });
    const agentRetry = agentRetryFrom(env);
    // A job that exchanged an Actions id token fetches its secrets from the broker; Fly and local runs were started with them.
    const secretsFromBroker = credentials.source === 'github-oidc';
    const result = await runJob({ channel, roots, workdir, log, baseEnv: env, now: () => new Date(), secretsFromBroker, ...(agentRetry ? { agentRetry } : {}) });
    return result.outcome === 'succeeded' ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error(error.message, { problems: error.problems });
      return 2;
    }
    log.error('runner failed', { reason: (error as Error).message });
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
